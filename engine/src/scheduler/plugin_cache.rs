//! A plugin's own cache behind a lock: plugins are called through `&self` (and clusters move
//! across threads in `kubesim sweep`). A cache only saves work: what a plugin returns never
//! depends on it, so a clone starts empty.

use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
pub struct PluginCache<T>(Mutex<T>);

impl<T> PluginCache<T> {
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Default> Clone for PluginCache<T> {
    fn clone(&self) -> Self {
        PluginCache::default()
    }
}
