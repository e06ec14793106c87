//! Property tests for kubesim; see proptests/tests/.
