//! The catalogue of administrative procedures (thủ tục hành chính, TTHC).

crate::text_enum! {
    /// How much of a procedure can be done online (dịch vụ công trực tuyến).
    pub enum OnlineServiceLevel {
        /// Every step online, including the result (toàn trình).
        Full = "full",
        /// Some steps online (một phần).
        Partial = "partial",
        /// Not offered online.
        None = "none",
    }
}

impl OnlineServiceLevel {
    /// QĐ 766 counts a procedure as offering online service when it is full or partial.
    pub fn is_online(self) -> bool {
        !matches!(self, Self::None)
    }
}

crate::text_enum! {
    /// How a publication decision relates to the procedure version it supersedes.
    pub enum SupersedeKind {
        /// Amends (sửa đổi, bổ sung) the earlier version.
        Amends = "amends",
        /// Replaces (thay thế) the earlier version.
        Replaces = "replaces",
    }
}

/// Checks a national procedure code such as `1.001612` or `2.002187`.
pub fn validate_procedure_code(text: &str) -> Result<String, String> {
    let text = text.trim();
    let ok = match text.split_once('.') {
        Some((head, tail)) => {
            (1..=3).contains(&head.len())
                && head.bytes().all(|b| b.is_ascii_digit())
                && (4..=8).contains(&tail.len())
                && tail.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    };
    if ok {
        Ok(text.to_owned())
    } else {
        Err("a national procedure code looks like `1.001612`".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procedure_codes() {
        assert!(validate_procedure_code("1.001612").is_ok());
        assert!(validate_procedure_code("2.002187").is_ok());
        assert!(validate_procedure_code("1001612").is_err());
        assert!(validate_procedure_code("1.00a612").is_err());
    }
}
