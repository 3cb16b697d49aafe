//! The schema's name patterns: `*` stands for any text (`id_param_*`), and
//! the patterns of type and field attributes work the same way.

/// Whether `name` matches `pattern`, in which `*` stands for any run of
/// characters and everything else for itself. Linear in the lengths: each
/// literal piece is found once, left to right.
#[must_use]
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::pattern_matches;

    #[test]
    fn patterns() {
        assert!(pattern_matches("id_param_*", "id_param_name"));
        assert!(pattern_matches("id_param_*", "id_param_"));
        assert!(!pattern_matches("id_param_*", "id_para"));
        assert!(!pattern_matches("id_param_*", "id_name"));
        assert!(pattern_matches("a*b*c", "axxbyyc"));
        assert!(!pattern_matches("a*b*c", "axxbyy"));
        assert!(pattern_matches("exact", "exact"));
        assert!(!pattern_matches("ab*ba", "aba"));
        assert!(pattern_matches("*", ""));
    }
}
