//! NodePorts: a node is not feasible when a host port the pod asks for is already in use
//! there. Models pkg/scheduler/framework/plugins/nodeports/node_ports.go with
//! `HostPortInfo.CheckConflict` (pkg/scheduler/framework/types.go) and `util.GetHostPorts`.

use crate::api::Pod;
use crate::scheduler::framework::{
    host_ports, CycleState, FilterPlugin, HostPort, NodeInfo, Plugin, PodInfo, PreFilterPlugin,
    PreFilterResult, Status,
};
use crate::scheduler::snapshot::Snapshot;

pub const NAME: &str = "NodePorts";

/// `ErrReason`.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

/// `preFilterStateKey`.
const PRE_FILTER_STATE_KEY: &str = "PreFilterNodePorts";

/// `DefaultBindAllHostIP`.
const DEFAULT_BIND_ALL_HOST_IP: &str = "0.0.0.0";

/// The pod's wanted host ports, written at PreFilter.
#[derive(Clone, Debug)]
struct PreFilterState(Vec<HostPort>);

/// The NodePorts plugin.
#[derive(Clone, Debug, Default)]
pub struct NodePorts;

impl Plugin for NodePorts {
    fn name(&self) -> &str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

/// Builds the plugin (no args).
pub fn new(args: Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> {
    crate::scheduler::registry::parse_args::<serde_json::Value>(args)?;
    Ok(Box::new(NodePorts))
}

/// `util.GetHostPorts`: the container ports with a hostPort, hostIP and protocol defaulted.
/// Upstream also takes restartable (sidecar) init containers; kubesim models no container
/// restartPolicy, so no init container is one.
pub fn get_host_ports(pod: &Pod) -> Vec<HostPort> {
    pod.spec
        .containers
        .iter()
        .flat_map(|c| host_ports(&c.ports))
        .collect()
}

/// `HostPortInfo.CheckConflict`: a wanted (ip, protocol, port) conflicts with a used one of
/// the same protocol and port when either binds 0.0.0.0 or both bind the same IP.
pub fn check_conflict(used: &[HostPort], want: &HostPort) -> bool {
    let (ip, protocol, port) = want;
    if *port <= 0 {
        return false;
    }
    used.iter().any(|(uip, uproto, uport)| {
        uport == port
            && uproto == protocol
            && (ip == DEFAULT_BIND_ALL_HOST_IP || uip == DEFAULT_BIND_ALL_HOST_IP || uip == ip)
    })
}

/// `fitsPorts`: no wanted port conflicts with the ports in use.
pub fn fits_ports(want: &[HostPort], used: &[HostPort]) -> bool {
    !want.iter().any(|w| check_conflict(used, w))
}

/// `Fits`: the pod's host ports are free on the node.
pub fn fits(pod: &Pod, node: &NodeInfo) -> bool {
    fits_ports(&get_host_ports(pod), &node.used_ports)
}

impl PreFilterPlugin for NodePorts {
    /// Skip when the pod asks for no host port.
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &PodInfo,
        _: &Snapshot,
    ) -> (PreFilterResult, Status) {
        let ports = get_host_ports(pod.pod());
        if ports.is_empty() {
            return (None, Status::skip());
        }
        state.write(PRE_FILTER_STATE_KEY, PreFilterState(ports));
        (None, Status::success())
    }
}

impl FilterPlugin for NodePorts {
    fn filter(&self, state: &CycleState, _: &PodInfo, node: &NodeInfo) -> Status {
        let Some(PreFilterState(want)) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::new(
                crate::scheduler::framework::Code::Error,
                vec![format!(
                    "reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
                )],
            );
        };
        if !fits_ports(want, &node.used_ports) {
            return Status::unschedulable(ERR_REASON);
        }
        Status::success()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::affinity::ContainerPort;
    use crate::api::{Container, Node};
    use crate::scheduler::framework::Code;
    use std::sync::Arc;

    /// node_ports_test.go newPod: one container with ports given as "PROTO/IP/PORT".
    fn new_pod(host: &str, ports: &[&str]) -> Pod {
        let mut pod = Pod::default();
        pod.spec.node_name = host.into();
        let ports = ports
            .iter()
            .map(|p| {
                let parts: Vec<&str> = p.split('/').collect();
                ContainerPort {
                    protocol: parts[0].into(),
                    host_ip: parts[1].into(),
                    host_port: parts[2].parse().unwrap(),
                    ..Default::default()
                }
            })
            .collect();
        pod.spec.containers.push(Container {
            ports,
            ..Default::default()
        });
        pod
    }

    fn node_info(pods: &[Pod]) -> NodeInfo {
        let mut n = NodeInfo::new(Node::default());
        for (i, p) in pods.iter().enumerate() {
            let mut p = p.clone();
            p.metadata.name = format!("p{i}");
            n.add_pod(Arc::new(PodInfo::from_pod(p)));
        }
        n
    }

    /// node_ports_test.go TestNodePorts.
    #[test]
    fn node_ports_table() {
        let conflict = Some(Status::unschedulable(ERR_REASON));
        let cases: Vec<(&str, Pod, NodeInfo, Option<Status>)> = vec![
            (
                "other port",
                new_pod("m1", &["UDP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["UDP/127.0.0.1/9090"])]),
                None,
            ),
            (
                "same udp port",
                new_pod("m1", &["UDP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["UDP/127.0.0.1/8080"])]),
                conflict.clone(),
            ),
            (
                "same tcp port",
                new_pod("m1", &["TCP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.1/8080"])]),
                conflict.clone(),
            ),
            (
                "different host ip",
                new_pod("m1", &["TCP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.2/8080"])]),
                None,
            ),
            (
                "different protocol",
                new_pod("m1", &["UDP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.1/8080"])]),
                None,
            ),
            (
                "second udp port conflict",
                new_pod("m1", &["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["UDP/127.0.0.1/8080"])]),
                conflict.clone(),
            ),
            (
                "first tcp port conflict",
                new_pod("m1", &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"])]),
                conflict.clone(),
            ),
            (
                "first tcp port conflict due to 0.0.0.0 hostIP",
                new_pod("m1", &["TCP/0.0.0.0/8001"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.1/8001"])]),
                conflict.clone(),
            ),
            (
                "TCP hostPort conflict due to 0.0.0.0 hostIP",
                new_pod("m1", &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"]),
                node_info(&[new_pod("m1", &["TCP/127.0.0.1/8001"])]),
                conflict.clone(),
            ),
            (
                "second tcp port conflict to 0.0.0.0 hostIP",
                new_pod("m1", &["TCP/127.0.0.1/8001"]),
                node_info(&[new_pod("m1", &["TCP/0.0.0.0/8001"])]),
                conflict.clone(),
            ),
            (
                "second different protocol",
                new_pod("m1", &["UDP/127.0.0.1/8001"]),
                node_info(&[new_pod("m1", &["TCP/0.0.0.0/8001"])]),
                None,
            ),
            (
                "UDP hostPort conflict due to 0.0.0.0 hostIP",
                new_pod("m1", &["UDP/127.0.0.1/8001"]),
                node_info(&[new_pod("m1", &["TCP/0.0.0.0/8001", "UDP/0.0.0.0/8001"])]),
                conflict.clone(),
            ),
        ];
        for (name, pod, node, want) in cases {
            let pod = PodInfo::from_pod(pod);
            let mut state = CycleState::default();
            let (res, st) = NodePorts.pre_filter(&mut state, &pod, &Snapshot::new());
            assert!(res.is_none() && st.is_success(), "{name}: {st:?}");
            let got = NodePorts.filter(&state, &pod, &node);
            assert_eq!(got, want.unwrap_or_else(Status::success), "{name}");
        }
    }

    /// node_ports_test.go TestNodePorts "skip filter": a pod without ports skips PreFilter.
    #[test]
    fn skip_filter() {
        let (res, st) = NodePorts.pre_filter(
            &mut CycleState::default(),
            &PodInfo::from_pod(Pod::default()),
            &Snapshot::new(),
        );
        assert!(res.is_none());
        assert_eq!(st, Status::skip());
    }

    /// node_ports_test.go TestPreFilterDisabled: Filter without PreFilter state is an error.
    #[test]
    fn pre_filter_disabled() {
        let got = NodePorts.filter(
            &CycleState::default(),
            &PodInfo::from_pod(Pod::default()),
            &NodeInfo::new(Node::default()),
        );
        assert_eq!(got.code, Code::Error);
        assert_eq!(
            got.message(),
            "reading \"PreFilterNodePorts\" from cycleState: not found"
        );
    }

    /// util GetHostPorts: only ports with a hostPort, hostIP and protocol defaulted.
    #[test]
    fn host_ports_are_defaulted_and_filtered() {
        let mut pod = new_pod("", &["//8001"]);
        pod.spec.containers[0].ports.push(ContainerPort {
            container_port: 80,
            ..Default::default()
        });
        assert_eq!(
            get_host_ports(&pod),
            vec![("0.0.0.0".to_string(), "TCP".to_string(), 8001)]
        );
    }
}
