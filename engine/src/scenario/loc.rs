//! Source positions for values checked after parsing.
//!
//! RON reports the position of syntax and type errors itself. For errors found later (a
//! duplicate name, an action on an object that does not exist) each checked value is wrapped in
//! [`Loc`], which numbers the values in parse order. The loader re-parses with "fail at value N"
//! set, so RON reports that value's position.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;

#[derive(Default)]
struct LocState {
    next: u32,
    fail: Option<(u32, String)>,
}

thread_local! {
    static STATE: RefCell<LocState> = RefCell::new(LocState::default());
}

/// Resets numbering before a parse; `fail` makes value number N fail with the message.
pub(crate) fn begin_parse(fail: Option<(u32, String)>) {
    STATE.with(|s| {
        *s.borrow_mut() = LocState { next: 1, fail };
    });
}

/// A value with its parse-order number (0 for values built in code).
#[derive(Clone, Debug, Default)]
pub struct Loc<T> {
    pub value: T,
    pub id: u32,
}

impl<T> Loc<T> {
    /// A value built in code (no source position).
    pub fn new(value: T) -> Self {
        Loc { value, id: 0 }
    }
}

impl<T> Deref for Loc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: PartialEq> PartialEq for Loc<T> {
    fn eq(&self, o: &Self) -> bool {
        self.value == o.value
    }
}

impl<T: fmt::Display> fmt::Display for Loc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Loc<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loc<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = T::deserialize(d)?;
        let (id, fail) = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let id = s.next;
            s.next += 1;
            let fail = match &s.fail {
                Some((n, msg)) if *n == id => Some(msg.clone()),
                _ => None,
            };
            (id, fail)
        });
        if let Some(msg) = fail {
            return Err(de::Error::custom(msg));
        }
        Ok(Loc { value, id })
    }
}
