//! Field errors and label-key checks, worded as upstream prints them, for validating the
//! plugin args. Models k8s.io/apimachinery/pkg/util/validation/field/errors.go (`Error.Error`,
//! `ErrorList.ToAggregate`) and k8s.io/apimachinery/pkg/api/validate/content (`IsLabelKey`,
//! `IsDNS1123Subdomain`, `RegexError`, `MaxLenError`), as in the newest upstream read
//! (where `MaxLenError` says "bytes" and a key with two '/' is "a valid label key").

/// `field.Invalid`: `<field>: Invalid value: <value>: <detail>`; `value` is already formatted
/// (integers plain, strings via [`go_quote`]).
pub fn invalid(field: &str, value: &str, detail: &str) -> String {
    with_detail(format!("{field}: Invalid value: {value}"), detail)
}

/// `field.Required`: `<field>: Required value: <detail>`.
pub fn required(field: &str, detail: &str) -> String {
    with_detail(format!("{field}: Required value"), detail)
}

/// `field.Forbidden`: `<field>: Forbidden: <detail>`.
pub fn forbidden(field: &str, detail: &str) -> String {
    with_detail(format!("{field}: Forbidden"), detail)
}

/// `field.Duplicate` of a string value.
pub fn duplicate(field: &str, value: &str) -> String {
    format!("{field}: Duplicate value: {}", go_quote(value))
}

/// `field.NotSupported` of a string value, listing the supported values quoted.
pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> String {
    let quoted: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
    with_detail(
        format!("{field}: Unsupported value: {}", go_quote(value)),
        &format!("supported values: {}", quoted.join(", ")),
    )
}

fn with_detail(mut s: String, detail: &str) -> String {
    if !detail.is_empty() {
        s.push_str(": ");
        s.push_str(detail);
    }
    s
}

/// `ErrorList.ToAggregate().Error()`: duplicates dropped, one error as is, more as
/// `[a, b]`; None when there is none.
pub fn aggregate(errs: Vec<String>) -> Option<String> {
    let mut seen: Vec<String> = Vec::with_capacity(errs.len());
    for e in errs {
        if !seen.contains(&e) {
            seen.push(e);
        }
    }
    match seen.len() {
        0 => None,
        1 => seen.pop(),
        _ => Some(format!("[{}]", seen.join(", "))),
    }
}

/// Go's `strconv.Quote` for the strings that show up here.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const LABEL_KEY_ERR_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_MAX_LENGTH: usize = 63;
const DNS1123_SUBDOMAIN_ERR_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// `RegexError`.
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{re}')");
    }
    let mut s = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            s.push_str(" or ");
        }
        s.push_str(&format!("'{e}', "));
    }
    s.push_str(&format!("regex used for validation is '{re}')"));
    s
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} bytes")
}

const EMPTY_ERROR: &str = "must be non-empty";

/// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`.
fn matches_label_key_name(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    match b {
        [] => false,
        [c] => alnum(*c),
        [first, mid @ .., last] => {
            alnum(*first)
                && alnum(*last)
                && mid
                    .iter()
                    .all(|&c| alnum(c) || c == b'-' || c == b'_' || c == b'.')
        }
    }
}

/// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`.
fn matches_dns1123_subdomain(s: &str) -> bool {
    let label_ok = |l: &[u8]| {
        let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match l {
            [] => false,
            [c] => ok(*c),
            [first, mid @ .., last] => {
                ok(*first) && ok(*last) && mid.iter().all(|&c| ok(c) || c == b'-')
            }
        }
    };
    s.split('.').all(|l| label_ok(l.as_bytes()))
}

/// `IsDNS1123Subdomain`.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsLabelKey` (formerly `IsQualifiedName`): an optional DNS-subdomain prefix and '/', then a
/// name of at most 63 bytes.
pub fn is_label_key(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {EMPTY_ERROR}"));
            } else {
                errs.extend(
                    is_dns1123_subdomain(prefix)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR_MSG, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {EMPTY_ERROR}"));
    } else if name.len() > LABEL_KEY_MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(LABEL_KEY_MAX_LENGTH)));
    }
    if !matches_label_key_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR_MSG,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `metav1validation.ValidateLabelName`: one Invalid error per problem.
pub fn validate_label_name(value: &str, field: &str) -> Vec<String> {
    is_label_key(value)
        .into_iter()
        .map(|m| invalid(field, &go_quote(value), &m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upstream's RegexError joins examples as "'a',  or 'b', " (two spaces), kept as is.
    #[test]
    fn label_keys() {
        assert!(is_label_key("example.com").is_empty());
        assert!(is_label_key("example.com/aaa").is_empty());
        assert!(is_label_key("a").is_empty());
        assert_eq!(
            is_label_key("example.com/"),
            [
                "name part must be non-empty",
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
            ]
        );
        assert_eq!(
            is_label_key("Example.com/a"),
            ["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert_eq!(
            is_label_key(&"a".repeat(64)),
            ["name part must be no more than 63 bytes"]
        );
        assert!(is_label_key("a/b/c")[0].starts_with("a valid label key must consist of"));
        assert!(!is_label_key("-a").is_empty());
        assert!(!is_label_key("a-").is_empty());
    }

    #[test]
    fn aggregate_formats() {
        assert_eq!(aggregate(vec![]), None);
        assert_eq!(aggregate(vec!["a".into(), "a".into()]), Some("a".into()));
        assert_eq!(
            aggregate(vec!["a".into(), "b".into(), "a".into()]),
            Some("[a, b]".into())
        );
        assert_eq!(
            not_supported("scoringStrategy.type", "Invalid", &["A", "B"]),
            "scoringStrategy.type: Unsupported value: \"Invalid\": supported values: \"A\", \"B\""
        );
    }
}
