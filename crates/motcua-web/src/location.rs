//! Absolute URLs for `Location` headers: from the service's configured public base URL when it
//! has one (behind a proxy that does not pass the original host on), else from the request's
//! scheme and host (`Forwarded`, `X-Forwarded-*` or `Host`). Every answer that sets `Location`
//! goes through [`absolute_url`].

use actix_web::HttpRequest;

use crate::config::ConfigError;
use crate::WebContext;

/// The public base URL in `name` (`http(s)://host[:port][/prefix]`, no query), without a
/// trailing slash; `None` when unset or empty.
pub fn public_url_from_env(name: &'static str) -> Result<Option<String>, ConfigError> {
    let Ok(value) = std::env::var(name) else {
        return Ok(None);
    };
    if value.trim().is_empty() {
        return Ok(None);
    }
    public_url(&value).map(Some).map_err(|reason| ConfigError {
        name,
        value,
        reason,
    })
}

/// `value` checked as a public base URL, without its trailing slash.
pub fn public_url(value: &str) -> Result<String, String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("has no host".into());
    }
    if value.contains(['?', '#']) || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must be a base URL without query, fragment or spaces".into());
    }
    Ok(value.trim_end_matches('/').to_owned())
}

/// `path` (starting with `/`) as an absolute URL for a response to `req`; an absolute `path`
/// is kept as it is.
pub fn absolute_url(req: &HttpRequest, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        return path.to_owned();
    }
    let configured = req
        .app_data::<actix_web::web::Data<WebContext>>()
        .and_then(|web| web.public_url.clone());
    match configured {
        Some(base) => format!("{base}{path}"),
        None => {
            let info = req.connection_info();
            format!("{}://{}{path}", info.scheme(), info.host())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn public_urls_are_checked() {
        assert_eq!(
            public_url("https://motcua.vietyen.gov.vn/api/").as_deref(),
            Ok("https://motcua.vietyen.gov.vn/api")
        );
        assert!(public_url("motcua.vietyen.gov.vn").is_err());
        assert!(public_url("https://").is_err());
        assert!(public_url("https://x/?a=1").is_err());
    }

    #[test]
    fn locations_take_the_request_host_without_configuration() {
        let req = TestRequest::default()
            .insert_header(("host", "127.0.0.1:8080"))
            .to_http_request();
        assert_eq!(
            absolute_url(&req, "/units/2"),
            "http://127.0.0.1:8080/units/2"
        );
        assert_eq!(absolute_url(&req, "https://a/b"), "https://a/b");
    }
}
