//! Vietnamese identifiers: citizen identity numbers (CCCD, formerly CMND), tax codes (MST) and
//! budget-relationship codes (MNS), and the official codes of administrative units.
//!
//! Each validator returns the canonical text or a reason a person can act on.

/// Province codes that open a 12-digit CCCD number (Circular 59/2021/TT-BCA, appendix), as they
/// stood for the 63 provinces; numbers issued before the 2025 merger keep these prefixes.
const CCCD_PROVINCE_CODES: [&str; 63] = [
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020",
    "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038",
    "040", "042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060",
    "062", "064", "066", "067", "068", "070", "072", "074", "075", "077", "079", "080", "082",
    "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
];

/// Weights of the tax-code check digit (the tenth digit), per the General Department of Taxation.
const TAX_CODE_WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Validates a 12-digit citizen identity number (căn cước công dân).
pub fn validate_cccd(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.len() != 12 || !all_digits(text) {
        return Err("a CCCD number has exactly 12 digits".into());
    }
    if !CCCD_PROVINCE_CODES.contains(&&text[..3]) {
        return Err(format!(
            "a CCCD number starts with a province code; `{}` is not one",
            &text[..3]
        ));
    }
    Ok(text.to_owned())
}

/// Validates a 9-digit identity card number (chứng minh nhân dân, issued before CCCD).
pub fn validate_cmnd(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.len() != 9 || !all_digits(text) {
        return Err("a CMND number has exactly 9 digits".into());
    }
    Ok(text.to_owned())
}

/// Validates a passport number: one capital letter and 7 digits (e.g. `C1234567`).
pub fn validate_passport(text: &str) -> Result<String, String> {
    let text = text.trim();
    let mut chars = text.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    if text.len() != 8 || !first_is_letter || !all_digits(&text[1..]) {
        return Err("a passport number is one capital letter followed by 7 digits".into());
    }
    Ok(text.to_owned())
}

/// Validates the tax code of an organisation (mã số thuế): 10 digits with a check digit,
/// optionally followed by `-` and a 3-digit branch number. (A person's tax code is their CCCD
/// number since 2025; persons are validated as citizens.)
pub fn validate_tax_code(text: &str) -> Result<String, String> {
    let text = text.trim();
    let (main, branch) = match text.split_once('-') {
        Some((main, branch)) => (main, Some(branch)),
        None => (text, None),
    };
    if main.len() != 10 || !all_digits(main) {
        return Err("a tax code has 10 digits, optionally followed by `-` and 3 digits".into());
    }
    if let Some(branch) = branch {
        if branch.len() != 3 || !all_digits(branch) {
            return Err("the branch part of a tax code has exactly 3 digits".into());
        }
    }
    let digits: Vec<u32> = main.bytes().map(|b| u32::from(b - b'0')).collect();
    if tax_code_check_digit(&digits[..9]) != digits.get(9).copied() {
        return Err("the check digit of this tax code does not match".into());
    }
    Ok(text.to_owned())
}

/// The tenth digit of a tax code whose first nine digits are `first_nine`, if one exists.
pub fn tax_code_check_digit(first_nine: &[u32]) -> Option<u32> {
    let sum: u32 = first_nine
        .iter()
        .zip(TAX_CODE_WEIGHTS)
        .map(|(d, w)| d * w)
        .sum();
    let check = 10 - (sum % 11);
    (check < 10).then_some(check)
}

/// Validates a budget-relationship code (mã đơn vị có quan hệ với ngân sách): 7 digits.
pub fn validate_budget_code(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.len() != 7 || !all_digits(text) {
        return Err("a budget-relationship code has exactly 7 digits".into());
    }
    Ok(text.to_owned())
}

/// Validates the electronic identifier of a body (mã định danh, QĐ 20/2020/QĐ-TTg), such as
/// `000.00.24.H05`: dot-separated groups of digits and capital letters, at most 32 characters.
/// It opens every dossier code the body issues, so it must not contain `-`.
pub fn validate_unit_code(text: &str) -> Result<String, String> {
    let text = text.trim();
    let groups_ok = text.split('.').all(|g| {
        !g.is_empty()
            && g.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    });
    if text.is_empty() || text.len() > 32 || !groups_ok {
        return Err(
            "a unit code is dot-separated groups of digits and capital letters, e.g. `000.00.24.H05`"
                .into(),
        );
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cccd_needs_twelve_digits_and_a_province() {
        assert_eq!(validate_cccd("024190000123").as_deref(), Ok("024190000123"));
        assert!(validate_cccd("02419000012").is_err());
        assert!(validate_cccd("02419000012a").is_err());
        assert!(validate_cccd("003190000123").unwrap_err().contains("`003`"));
    }

    #[test]
    fn cmnd_and_passport() {
        assert!(validate_cmnd("121234567").is_ok());
        assert!(validate_cmnd("1212345678").is_err());
        assert!(validate_passport("C1234567").is_ok());
        assert!(validate_passport("c1234567").is_err());
        assert!(validate_passport("C123456").is_err());
    }

    #[test]
    fn tax_code_check_digit() {
        // Published tax codes of public bodies and companies.
        assert!(validate_tax_code("0400260612").is_ok());
        assert!(validate_tax_code("0100109106").is_ok());
        assert!(validate_tax_code("0100109106-001").is_ok());
        assert!(validate_tax_code("0100109107").is_err());
        assert!(validate_tax_code("0100109106-01").is_err());
        assert!(
            validate_tax_code("024190000123").is_err(),
            "a CCCD is not an organisation's tax code"
        );
    }

    #[test]
    fn unit_codes() {
        assert!(validate_unit_code("000.00.24.H05").is_ok());
        assert!(validate_unit_code("000..24").is_err());
        assert!(validate_unit_code("000-00").is_err());
        assert!(validate_unit_code("").is_err());
    }
}
