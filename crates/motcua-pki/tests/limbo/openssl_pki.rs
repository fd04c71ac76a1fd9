//! Certificates made with the `openssl` command line, independent of motcua's own test PKI, so
//! that the cases test what another implementation writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

pub type Error = Box<dyn std::error::Error>;

/// A directory of keys and certificates made by `openssl`.
pub struct OpensslPki {
    dir: TempDir,
    made: usize,
}

/// A certificate with its key file, able to issue others.
#[derive(Debug, Clone)]
pub struct Issued {
    pub pem: String,
    certificate: PathBuf,
    key: PathBuf,
}

/// What to make: subject (`/CN=…`, `/` for an empty one), extensions in openssl config
/// syntax, and whether the key has explicit curve parameters instead of a named curve.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    pub subject: &'a str,
    pub extensions: Vec<String>,
    pub explicit_curve: bool,
    pub days: u32,
    /// Further config sections the extensions refer to (`[nc_dn]\nC = VN`, …).
    pub sections: Vec<String>,
    /// The serial number as `openssl -set_serial` reads it (`0`, `-5`, `0x…`); a fresh one
    /// when `None`.
    pub serial: Option<String>,
}

impl<'a> Spec<'a> {
    pub fn ca(subject: &'a str) -> Self {
        Self {
            subject,
            extensions: vec![
                "basicConstraints = critical,CA:TRUE".into(),
                "keyUsage = critical,keyCertSign,cRLSign".into(),
                "subjectKeyIdentifier = hash".into(),
                "authorityKeyIdentifier = keyid".into(),
            ],
            explicit_curve: false,
            days: 3650,
            sections: Vec::new(),
            serial: None,
        }
    }

    pub fn leaf(subject: &'a str) -> Self {
        Self {
            subject,
            extensions: vec![
                "basicConstraints = critical,CA:FALSE".into(),
                "keyUsage = critical,digitalSignature,nonRepudiation".into(),
                "subjectKeyIdentifier = hash".into(),
                "authorityKeyIdentifier = keyid".into(),
            ],
            explicit_curve: false,
            days: 365,
            sections: Vec::new(),
            serial: None,
        }
    }

    pub fn with(mut self, extension: &str) -> Self {
        self.extensions.push(extension.to_owned());
        self
    }

    /// Replaces the extension whose name starts `extension` (up to its `=`).
    pub fn replacing(mut self, extension: &str) -> Self {
        let name = extension.split('=').next().unwrap_or_default().trim();
        self.extensions
            .retain(|held| held.split('=').next().unwrap_or_default().trim() != name);
        self.extensions.push(extension.to_owned());
        self
    }

    pub fn section(mut self, section: &str) -> Self {
        self.sections.push(section.to_owned());
        self
    }

    pub fn serial(mut self, serial: &str) -> Self {
        self.serial = Some(serial.to_owned());
        self
    }

    /// Leaves out the extension named `name` (openssl adds key identifiers unless told `none`).
    pub fn without(mut self, name: &str) -> Self {
        self.extensions
            .retain(|held| held.split('=').next().unwrap_or_default().trim() != name);
        if name.ends_with("KeyIdentifier") {
            self.extensions.push(format!("{name} = none"));
        }
        self
    }

    pub fn explicit_curve(mut self) -> Self {
        self.explicit_curve = true;
        self
    }
}

impl OpensslPki {
    pub fn new() -> Result<Self, Error> {
        Ok(Self {
            dir: TempDir::new()?,
            made: 0,
        })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A self-signed CA.
    pub fn root(&mut self, spec: &Spec<'_>) -> Result<Issued, Error> {
        let (key, config, certificate) = self.files(spec)?;
        let serial = spec.serial.clone().unwrap_or_else(|| self.serial());
        let days = spec.days.to_string();
        let (key_arg, config_arg, out) =
            (path_str(&key)?, path_str(&config)?, path_str(&certificate)?);
        openssl(
            self.dir(),
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                key_arg,
                "-subj",
                spec.subject,
                "-config",
                config_arg,
                "-extensions",
                "ext",
                "-days",
                &days,
                "-set_serial",
                &serial,
                "-out",
                out,
            ],
        )?;
        Self::issued(certificate, key)
    }

    /// A certificate signed by `issuer`.
    pub fn issue(&mut self, spec: &Spec<'_>, issuer: &Issued) -> Result<Issued, Error> {
        let (key, config, certificate) = self.files(spec)?;
        let request = certificate.with_extension("csr");
        let serial = spec.serial.clone().unwrap_or_else(|| self.serial());
        let days = spec.days.to_string();
        openssl(
            self.dir(),
            &[
                "req",
                "-new",
                "-key",
                path_str(&key)?,
                "-subj",
                spec.subject,
                "-config",
                path_str(&config)?,
                "-out",
                path_str(&request)?,
            ],
        )?;
        openssl(
            self.dir(),
            &[
                "x509",
                "-req",
                "-in",
                path_str(&request)?,
                "-CA",
                path_str(&issuer.certificate)?,
                "-CAkey",
                path_str(&issuer.key)?,
                "-extfile",
                path_str(&config)?,
                "-extensions",
                "ext",
                "-days",
                &days,
                "-set_serial",
                &serial,
                "-out",
                path_str(&certificate)?,
            ],
        )?;
        Self::issued(certificate, key)
    }

    /// A CRL from `issuer` revoking `revoked` (openssl ca with a throw-away database).
    pub fn crl(&mut self, issuer: &Issued, revoked: &[&Issued]) -> Result<String, Error> {
        self.crl_numbered(issuer, revoked, CrlNumber::Standard)
    }

    /// [`crl`](Self::crl) with its cRLNumber as `number` says.
    pub fn crl_numbered(
        &mut self,
        issuer: &Issued,
        revoked: &[&Issued],
        number: CrlNumber,
    ) -> Result<String, Error> {
        self.made += 1;
        let base = self.dir().join(format!("crl{}", self.made));
        std::fs::create_dir_all(&base)?;
        let index = base.join("index.txt");
        std::fs::write(&index, "")?;
        std::fs::write(base.join("crlnumber"), "01\n")?;
        let (numbering, number_extension) = match number {
            CrlNumber::Standard => (
                format!("crlnumber = {}\n", base.join("crlnumber").display()),
                "",
            ),
            CrlNumber::Missing => (String::new(), ""),
            CrlNumber::Critical => (String::new(), "2.5.29.20 = critical,DER:02:01:07\n"),
        };
        let config = base.join("ca.cnf");
        std::fs::write(
            &config,
            format!(
                "[ca]\ndefault_ca = ca\n[ca]\ndatabase = {}\n{numbering}\
                 default_md = sha256\ndefault_crl_days = 30\ncrl_extensions = crl_ext\n\
                 [crl_ext]\nauthorityKeyIdentifier = keyid\n{number_extension}",
                index.display(),
            ),
        )?;
        let ca = [
            "ca",
            "-config",
            path_str(&config)?,
            "-cert",
            path_str(&issuer.certificate)?,
            "-keyfile",
            path_str(&issuer.key)?,
        ];
        for certificate in revoked {
            let revoke = ["-revoke", path_str(&certificate.certificate)?];
            openssl(self.dir(), &[&ca[..], &revoke].concat())?;
        }
        let out = base.join("crl.pem");
        let generate = ["-gencrl", "-out", path_str(&out)?];
        openssl(self.dir(), &[&ca[..], &generate].concat())?;
        Ok(std::fs::read_to_string(out)?)
    }

    fn serial(&mut self) -> String {
        self.made += 1;
        format!("0x{:04x}", 0x1000 + self.made)
    }

    /// A fresh key, the openssl config for `spec` and the certificate's path.
    fn files(&mut self, spec: &Spec<'_>) -> Result<(PathBuf, PathBuf, PathBuf), Error> {
        self.made += 1;
        let name = format!("c{}", self.made);
        let key = self.dir().join(format!("{name}.key"));
        let mut args = vec!["ecparam", "-name", "prime256v1"];
        if spec.explicit_curve {
            args.extend(["-param_enc", "explicit"]);
        }
        args.extend(["-genkey", "-noout", "-out", path_str(&key)?]);
        openssl(self.dir(), &args)?;
        let config = self.dir().join(format!("{name}.cnf"));
        std::fs::write(
            &config,
            format!(
                "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\n[ext]\n{}\n{}\n",
                spec.extensions.join("\n"),
                spec.sections.join("\n")
            ),
        )?;
        Ok((key, config, self.dir().join(format!("{name}.pem"))))
    }

    fn issued(certificate: PathBuf, key: PathBuf) -> Result<Issued, Error> {
        Ok(Issued {
            pem: std::fs::read_to_string(&certificate)?,
            certificate,
            key,
        })
    }
}

/// How a CRL carries its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrlNumber {
    Standard,
    Missing,
    /// Present but marked critical, which RFC 5280 §5.2.3 forbids.
    Critical,
}

impl Issued {
    pub fn key_file(&self) -> &Path {
        &self.key
    }
}

fn path_str(path: &Path) -> Result<&str, Error> {
    path.to_str()
        .ok_or_else(|| "a temporary path is not UTF-8".into())
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), Error> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|error| format!("cannot run openssl: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        )
        .into())
    }
}
