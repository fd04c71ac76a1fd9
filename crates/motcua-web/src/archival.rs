//! How long the signatures of both services last: the PAdES level of each kind of signature,
//! the timestamp authorities and the revocation sources behind B-T, B-LT and B-LTA, read from
//! one TOML file named by `MOTCUA_SIGNING_CONFIG`; and [`Archival`], which raises a signature
//! the service just made (B-B) to its configured level through the signing seam.
//!
//! ```toml
//! [levels]                       # baseline_b | baseline_t | baseline_lt | baseline_lta
//! electronic_result = "baseline_lt"
//! report = "baseline_lta"
//! fallback = "baseline_b"        # optional: used, and recorded, when the level cannot be had
//!
//! [tsa]
//! timeout = 10                   # seconds, per authority
//! [[tsa.endpoints]]
//! url = "https://tsa.example.vn/"
//! credentials = { basic = { user = "motcua", password = "…" } }
//! [[tsa.endpoints]]              # asked when the first fails
//! url = "https://tsa2.example.vn/"
//!
//! [revocation]
//! allowed_hosts = ["ocsp.ca.gov.vn", "crl.ca.gov.vn"]
//! rewrites = [{ from = "http://ocsp.ca.ptc/", to = "https://ocsp.ca.gov.vn/" }]
//! timeout = 5
//! ```

use std::path::Path;

use motcua_pki::archival::{ArchivalServices, ValidationData};
use motcua_pki::pades::{renew_archive_timestamp, SignatureLevel};
use motcua_pki::revocation::{RevocationConfig, RevocationFetcher};
use motcua_pki::tsp::{TsaClient, TsaConfig};
use motcua_pki::{Certificate, PkiError, TrustStore};
use serde::Deserialize;

use crate::config::ConfigError;
use crate::error::ApiError;

/// The kinds of signature the services make, each with its own level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureKind {
    /// A dossier's electronic result, signed with the unit's collective certificate.
    ElectronicResult,
    /// A dossier component signed by an official (two-step).
    DossierComponent,
    /// A report: the leader's personal signature and the organisation's.
    Report,
    /// The province's receipt of a report.
    Receipt,
}

/// The level of each kind; unset kinds take [`SigningConfig::level`]'s default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Levels {
    pub electronic_result: Option<SignatureLevel>,
    pub dossier_component: Option<SignatureLevel>,
    pub report: Option<SignatureLevel>,
    pub receipt: Option<SignatureLevel>,
    /// The level used instead when the configured one cannot be reached (authority or
    /// revocation source unreachable); every such signature says so. Unset: signing is refused.
    pub fallback: Option<SignatureLevel>,
}

/// Everything about signature levels and the outside services they need.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningConfig {
    pub levels: Levels,
    /// Timestamp authorities; none means B-B only.
    pub tsa: Option<TsaConfig>,
    pub revocation: RevocationConfig,
}

impl SigningConfig {
    /// Reads the file named by `MOTCUA_SIGNING_CONFIG`; unset: B-B signatures, no authority.
    pub fn from_env() -> Result<Self, ConfigError> {
        const NAME: &str = "MOTCUA_SIGNING_CONFIG";
        match std::env::var(NAME) {
            Ok(path) if !path.is_empty() => {
                Self::from_file(Path::new(&path)).map_err(|reason| ConfigError {
                    name: NAME,
                    value: path,
                    reason,
                })
            }
            _ => Ok(Self::default()),
        }
    }

    /// Reads and checks a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|error| error.to_string())?;
        Self::from_toml(&text)
    }

    /// Parses and checks TOML text.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|error| error.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// A level above B-B needs an authority to ask.
    pub fn check(&self) -> Result<(), String> {
        let has_authority = self
            .tsa
            .as_ref()
            .is_some_and(|tsa| !tsa.endpoints.is_empty());
        let levels = &self.levels;
        let configured = [
            ("electronic_result", levels.electronic_result),
            ("dossier_component", levels.dossier_component),
            ("report", levels.report),
            ("receipt", levels.receipt),
            ("fallback", levels.fallback),
        ];
        match configured
            .iter()
            .find(|(_, level)| level.is_some_and(|level| level != SignatureLevel::BaselineB))
        {
            Some((kind, level)) if !has_authority => Err(format!(
                "levels.{kind} is {level:?}, which needs a timestamp authority, but [tsa] names none"
            )),
            _ => Ok(()),
        }
    }

    /// The level of `kind`: as configured, else B-LTA for reports and B-LT for the others when
    /// an authority is configured, else B-B.
    pub fn level(&self, kind: SignatureKind) -> SignatureLevel {
        let levels = &self.levels;
        let configured = match kind {
            SignatureKind::ElectronicResult => levels.electronic_result,
            SignatureKind::DossierComponent => levels.dossier_component,
            SignatureKind::Report => levels.report,
            SignatureKind::Receipt => levels.receipt,
        };
        configured.unwrap_or(match (&self.tsa, kind) {
            (None, _) => SignatureLevel::BaselineB,
            (Some(_), SignatureKind::Report) => SignatureLevel::BaselineLta,
            (Some(_), _) => SignatureLevel::BaselineLt,
        })
    }
}

/// A signature raised to its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The signed document.
    pub pdf: Vec<u8>,
    /// The level it has.
    pub level: SignatureLevel,
    /// Why the configured level was not reached, when the fallback level was used.
    pub fallback_reason: Option<String>,
}

/// The timestamp client and revocation fetcher the services sign with.
#[derive(Debug)]
pub struct Archival {
    config: SigningConfig,
    tsa: Option<TsaClient>,
    fetcher: RevocationFetcher,
}

impl Archival {
    pub fn new(config: SigningConfig) -> Result<Self, PkiError> {
        config.check().map_err(PkiError::TsaConfig)?;
        let tsa = config.tsa.clone().map(TsaClient::new).transpose()?;
        let fetcher = RevocationFetcher::new(config.revocation.clone())?;
        Ok(Self {
            config,
            tsa,
            fetcher,
        })
    }

    pub fn config(&self) -> &SigningConfig {
        &self.config
    }

    /// The level signatures of `kind` get.
    pub fn level(&self, kind: SignatureKind) -> SignatureLevel {
        self.config.level(kind)
    }

    /// The revocation fetcher, for background refreshes of the trust store's CRLs.
    pub fn fetcher(&self) -> &RevocationFetcher {
        &self.fetcher
    }

    /// Raises the last signature of `signed` (a B-B signature just made) to the level of
    /// `kind`, with chains built from `store`. When the authority or the revocation sources
    /// fail, the configured fallback level is used and its reason returned; without one, the
    /// signing is refused (502): a signature is never silently left below its level.
    pub async fn finish(
        &self,
        kind: SignatureKind,
        signed: Vec<u8>,
        store: &TrustStore,
    ) -> Result<Finished, ApiError> {
        let level = self.level(kind);
        if level == SignatureLevel::BaselineB {
            return Ok(Finished {
                pdf: signed,
                level,
                fallback_reason: None,
            });
        }
        let services = Services {
            archival: self,
            store,
        };
        match level.extend(signed.clone(), &services).await {
            Ok(pdf) => Ok(Finished {
                pdf,
                level,
                fallback_reason: None,
            }),
            Err(error) => self.fall_back(level, signed, &services, &error).await,
        }
    }

    async fn fall_back(
        &self,
        level: SignatureLevel,
        signed: Vec<u8>,
        services: &Services<'_>,
        error: &PkiError,
    ) -> Result<Finished, ApiError> {
        let refused = |error: &PkiError| {
            ApiError::BadGateway(format!(
                "the signature cannot be made at the configured level {level:?}: {error}"
            ))
        };
        if !is_outside_failure(error) {
            return Err(ApiError::internal(format!(
                "raising the signature to {level:?}: {error}"
            )));
        }
        let Some(fallback) = self.config.levels.fallback.filter(|f| *f != level) else {
            return Err(refused(error));
        };
        let pdf = fallback
            .extend(signed, services)
            .await
            .map_err(|error| refused(&error))?;
        Ok(Finished {
            pdf,
            level: fallback,
            fallback_reason: Some(format!("{level:?} could not be reached: {error}")),
        })
    }

    /// A new document timestamp over `pdf`, with the validation data of everything in it.
    pub async fn renew(&self, pdf: &[u8], store: &TrustStore) -> Result<Vec<u8>, PkiError> {
        let services = Services {
            archival: self,
            store,
        };
        renew_archive_timestamp(pdf, &services).await
    }
}

/// Failures of the authority or of the revocation sources, as opposed to a document or key
/// that cannot be signed at all.
fn is_outside_failure(error: &PkiError) -> bool {
    matches!(
        error,
        PkiError::TimestampUnavailable { .. }
            | PkiError::TsaConfig(_)
            | PkiError::RevocationUnavailable { .. }
            | PkiError::NoTrustedPath { .. }
            | PkiError::HttpClient(_)
    )
}

/// [`Archival`] with the trust store of one signature.
struct Services<'a> {
    archival: &'a Archival,
    store: &'a TrustStore,
}

impl ArchivalServices for Services<'_> {
    async fn timestamp(&self, imprint: [u8; 32]) -> Result<Vec<u8>, PkiError> {
        let tsa =
            self.archival.tsa.as_ref().ok_or_else(|| {
                PkiError::TsaConfig("no timestamp authority is configured".into())
            })?;
        Ok(tsa.timestamp(imprint, self.store).await?.token)
    }

    async fn validation_data(
        &self,
        leaf: &Certificate,
        extra: &[Certificate],
    ) -> Result<ValidationData, PkiError> {
        self.archival
            .fetcher
            .validation_data(self.store, leaf, extra)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_default_by_kind_and_need_an_authority() -> Result<(), String> {
        let none = SigningConfig::from_toml("")?;
        assert_eq!(none.level(SignatureKind::Report), SignatureLevel::BaselineB);
        let refused = SigningConfig::from_toml("[levels]\nreport = \"baseline_lt\"\n");
        assert!(refused.is_err_and(|reason| reason.contains("levels.report")));
        let with_tsa = SigningConfig::from_toml(
            "[levels]\nreceipt = \"baseline_t\"\n[tsa]\n[[tsa.endpoints]]\nurl = \"http://127.0.0.1:9/\"\n",
        )?;
        assert_eq!(
            with_tsa.level(SignatureKind::Report),
            SignatureLevel::BaselineLta
        );
        assert_eq!(
            with_tsa.level(SignatureKind::ElectronicResult),
            SignatureLevel::BaselineLt
        );
        assert_eq!(
            with_tsa.level(SignatureKind::Receipt),
            SignatureLevel::BaselineT
        );
        let unknown = SigningConfig::from_toml("[levels]\nresult = \"baseline_b\"\n");
        assert!(unknown.is_err());
        Ok(())
    }
}
