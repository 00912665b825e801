//! Kubernetes' rules for names, as the API server checks them
//! (`k8s.io/apimachinery/pkg/util/validation`): DNS-1123 labels and
//! subdomains, qualified names (label keys, taint keys, resource and
//! condition names) and label values. Both sides of the protocol need them:
//! the host checks its flags and what a plugin reports for the Node, a
//! plugin checks its own configuration. Errors are words for a message that
//! already names the field.

/// Longest DNS-1123 label, qualified-name part or label value.
pub const MAX_LABEL: usize = 63;
/// Longest DNS-1123 subdomain.
pub const MAX_SUBDOMAIN: usize = 253;

/// `IsDNS1123Label`: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters
/// (namespaces, container names).
pub fn is_dns1123_label(value: &str) -> bool {
    value.len() <= MAX_LABEL && is_label_shape(value)
}

/// `IsDNS1123Subdomain`: labels of the shape above joined by `.`, at most
/// 253 characters in all (names of nodes, pods, Secrets, ConfigMaps).
pub fn is_dns1123_subdomain(value: &str) -> bool {
    check_dns1123_subdomain(value).is_ok()
}

/// [`is_dns1123_subdomain`], saying what is wrong when it is not one.
pub fn check_dns1123_subdomain(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        Err("must not be empty")
    } else if value.len() > MAX_SUBDOMAIN {
        Err("must be at most 253 characters")
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        Err("may contain only lowercase letters, digits, '-' and '.'")
    } else if !value.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !value.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Err("must start and end with a letter or digit")
    } else if !value.split('.').all(is_label_shape) {
        Err("each '.'-separated part must start and end with a letter or digit")
    } else {
        Ok(())
    }
}

fn is_label_shape(value: &str) -> bool {
    let bytes = value.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            alnum(first) && alnum(last) && bytes.iter().all(|b| alnum(b) || *b == b'-')
        }
        _ => false,
    }
}

/// `IsQualifiedName`: `[prefix/]name`, the prefix a DNS-1123 subdomain, the
/// name at most 63 letters, digits, `-`, `_` and `.`, starting and ending
/// with a letter or digit (label and taint keys, resource names).
pub fn check_qualified_name(key: &str) -> Result<(), String> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if !is_dns1123_subdomain(prefix) {
                return Err(format!(
                    "prefix {prefix:?} must be a DNS subdomain (lowercase letters, digits, '-', '.')"
                ));
            }
            name
        }
        None => key,
    };
    if name.is_empty() {
        return Err("must have a name".into());
    }
    check_name_part(name)
}

/// `IsValidLabelValue`: empty, or what the name of a qualified name may be.
pub fn check_label_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Ok(())
    } else {
        check_name_part(value)
    }
}

/// [`check_label_value`] as a yes or no.
pub fn is_label_value(value: &str) -> bool {
    check_label_value(value).is_ok()
}

/// At most 63 characters of alphanumerics, '-', '_' and '.', starting and
/// ending alphanumeric.
fn check_name_part(word: &str) -> Result<(), String> {
    if word.len() > MAX_LABEL {
        return Err(format!("{word:?} is longer than 63 characters"));
    }
    let ok_chars = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let ok_ends = word.starts_with(|c: char| c.is_ascii_alphanumeric())
        && word.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok_chars && ok_ends {
        Ok(())
    } else {
        Err(format!(
            "{word:?} may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit"
        ))
    }
}

/// `name` made into a valid label value: other characters become `-`, at
/// most 63 are kept, and the ends are trimmed to a letter or digit.
pub fn to_label_value(name: &str) -> String {
    let mut value: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_LABEL)
        .collect();
    while value.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        value.pop();
    }
    while value.starts_with(|c: char| !c.is_ascii_alphanumeric()) {
        value.remove(0);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns1123_labels_and_subdomains() {
        for good in ["a", "default", "kube-system", "a1", &"a".repeat(63)] {
            assert!(is_dns1123_label(good), "{good}");
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a.b",
            "a_b",
            "a/b",
            "a?b",
            "a%2Fb",
            "..",
            "a\nb",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_dns1123_label(bad), "{bad:?}");
        }
        for good in [
            "web.v1-2.x",
            "app-secret.v2",
            "node.example.com",
            &"a".repeat(253),
        ] {
            assert!(is_dns1123_subdomain(good), "{good}");
        }
        // (value, why it is not a subdomain)
        for (bad, why) in [
            ("", "must not be empty"),
            (&"a".repeat(254), "must be at most 253 characters"),
            (
                "A",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "Web",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "a/b",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "web?x",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "a b",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "a\nb",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "vk_1",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            (
                "é",
                "may contain only lowercase letters, digits, '-' and '.'",
            ),
            ("-a", "must start and end with a letter or digit"),
            ("a-", "must start and end with a letter or digit"),
            (".", "must start and end with a letter or digit"),
            ("a.", "must start and end with a letter or digit"),
            (".a", "must start and end with a letter or digit"),
            (
                "a..b",
                "each '.'-separated part must start and end with a letter or digit",
            ),
            (
                "a.-b",
                "each '.'-separated part must start and end with a letter or digit",
            ),
        ] {
            assert_eq!(check_dns1123_subdomain(bad), Err(why), "{bad:?}");
            assert!(!is_dns1123_subdomain(bad), "{bad:?}");
        }
    }

    #[test]
    fn qualified_names_and_label_values() {
        for good in [
            "zone",
            "example.com/pool",
            "kubernetes.io/hostname",
            "nvidia.com/gpu",
            "Disk_Pressure.1",
            &"a".repeat(63),
        ] {
            assert_eq!(check_qualified_name(good), Ok(()), "{good}");
        }
        // (key, the start of why it is refused)
        for (bad, why) in [
            ("", "must have a name"),
            ("example.com/", "must have a name"),
            ("/k", "prefix \"\" must be a DNS subdomain"),
            (
                "Example.com/k",
                "prefix \"Example.com\" must be a DNS subdomain",
            ),
            ("a..b/k", "prefix \"a..b\" must be a DNS subdomain"),
            ("bad key!", "\"bad key!\" may contain only letters"),
            ("a/b/c", "\"b/c\" may contain only letters"),
            ("-k", "\"-k\" may contain only letters"),
            (&"k".repeat(64), "\"kkkk"),
        ] {
            let error = check_qualified_name(bad).expect_err(bad);
            assert!(error.starts_with(why), "{bad:?}: {error}");
        }
        for good in ["", "edge", "v1.2_3-x", "A", &"a".repeat(63)] {
            assert!(is_label_value(good), "{good:?}");
        }
        for bad in ["bad value", "-x", "x-", "x/y", "é", &"a".repeat(64)] {
            assert!(!is_label_value(bad), "{bad:?}");
            assert!(check_label_value(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_become_label_values() {
        for (name, value) in [
            ("vk-mock-plugin", "vk-mock-plugin"),
            ("my plugin!", "my-plugin"),
            ("-x-", "x"),
            ("", ""),
        ] {
            assert_eq!(to_label_value(name), value, "{name:?}");
            assert!(is_label_value(&to_label_value(name)), "{name:?}");
        }
        assert_eq!(to_label_value(&"p".repeat(100)).len(), 63);
    }
}
