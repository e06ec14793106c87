//! The plugin registry: plugin names to constructors (pkg/scheduler/framework/plugins/registry.go).
//! Library users add their own plugins with [`Registry::register`].

use super::framework::Plugin;
use super::plugins;
use std::collections::BTreeMap;

/// Builds a plugin from its `pluginConfig` args (None: the defaults). An error names the
/// problem with the args.
pub type PluginFactory = Box<dyn Fn(Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String>>;

/// Plugin constructors by name.
pub struct Registry {
    factories: BTreeMap<String, PluginFactory>,
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry {
            factories: BTreeMap::new(),
        }
    }

    /// Every in-tree plugin kubesim models.
    pub fn in_tree() -> Self {
        let mut r = Registry::empty();
        for (name, f) in plugins::in_tree() {
            r.factories.insert(name.to_string(), Box::new(f));
        }
        r
    }

    /// Adds (or replaces) a plugin constructor.
    pub fn register(
        &mut self,
        name: &str,
        factory: impl Fn(Option<&serde_json::Value>) -> Result<Box<dyn Plugin>, String> + 'static,
    ) {
        self.factories.insert(name.to_string(), Box::new(factory));
    }

    pub fn contains(&self, name: &str) -> bool {
        self.factories.contains_key(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// Builds the named plugin.
    pub fn new_plugin(
        &self,
        name: &str,
        args: Option<&serde_json::Value>,
    ) -> Result<Box<dyn Plugin>, String> {
        let f = self
            .factories
            .get(name)
            .ok_or_else(|| format!("plugin {name:?} does not exist"))?;
        f(args)
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::in_tree()
    }
}

/// Parses a plugin's args into its typed args struct (unknown fields are errors when the type
/// denies them); None gives the defaults.
pub fn parse_args<T: serde::de::DeserializeOwned + Default>(
    args: Option<&serde_json::Value>,
) -> Result<T, String> {
    match args {
        None => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| e.to_string()),
    }
}
