//! JSON Pointers (RFC 6901) for violation paths and patch operations.

use std::borrow::Cow;
use std::fmt;

/// Escapes one reference token: `~` becomes `~0` and `/` becomes `~1`.
pub fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// The JSON Pointer made of `segments`, each escaped:
/// `pointer(&["customer", "billing", "organizationIdentificationNumber"])` is
/// `/customer/billing/organizationIdentificationNumber`, and `pointer(&[])` is `""` (the
/// whole document).
pub fn pointer(segments: &[&str]) -> String {
    segments
        .iter()
        .fold(Pointer::root(), |p, s| p.key(s))
        .into_string()
}

/// A JSON Pointer under construction: `Pointer::root().key("cart").index(3)` is
/// `/cart/3`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Pointer(String);

impl Pointer {
    /// The empty pointer, which designates the whole document.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// Appends an object member name (escaped).
    pub fn key(mut self, key: &str) -> Self {
        self.0.push('/');
        self.0.push_str(&escape(key));
        self
    }

    /// Appends an array index.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push('/');
        self.0.push_str(&index.to_string());
        self
    }

    /// The pointer as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pointer as an owned `String`.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Pointer> for String {
    fn from(pointer: Pointer) -> String {
        pointer.0
    }
}

impl AsRef<str> for Pointer {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_tilde_before_slash() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("~1"), "~01");
        assert_eq!(pointer(&["a/b", "~"]), "/a~1b/~0");
    }

    #[test]
    fn builds_pointers() {
        assert_eq!(pointer(&[]), "");
        assert_eq!(
            pointer(&["customer", "billing", "organizationIdentificationNumber"]),
            "/customer/billing/organizationIdentificationNumber"
        );
        assert_eq!(Pointer::root().key("cart").index(3).to_string(), "/cart/3");
    }
}
