//! Who may do what: roles of API keys and the scopes an integration key is limited to.

crate::text_enum! {
    /// The role of an API key.
    pub enum Role {
        /// Everything, everywhere.
        Admin = "admin",
        /// An official's key, limited to the subtree of one unit.
        Officer = "officer",
        /// Read-only access to everything, for inspectors.
        Auditor = "auditor",
        /// Another system, limited to the scopes listed on its key (and a unit subtree if set).
        Integration = "integration",
    }
}

crate::text_enum! {
    /// The kinds of records access is granted on.
    pub enum Resource {
        Units = "units",
        Procedures = "procedures",
        Officials = "officials",
        Dossiers = "dossiers",
        Certificates = "certificates",
        Audit = "audit",
        ApiKeys = "api_keys",
        /// Reports of the report service.
        Reports = "reports",
        /// Report packages delivered to a provincial receiver.
        Submissions = "submissions",
        /// The event log of the service (`GET /events`).
        Events = "events",
        /// Push delivery of events to another system's callback URL.
        Subscriptions = "subscriptions",
    }
}

crate::text_enum! {
    /// Reading or changing.
    pub enum Access {
        Read = "read",
        Write = "write",
    }
}

/// One grant such as `dossiers:write`; writing implies reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    pub resource: Resource,
    pub access: Access,
}

impl Scope {
    pub fn covers(self, resource: Resource, access: Access) -> bool {
        self.resource == resource && (self.access == access || self.access == Access::Write)
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.resource, self.access)
    }
}

impl std::str::FromStr for Scope {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (resource, access) = text
            .split_once(':')
            .ok_or_else(|| format!("a scope looks like `dossiers:write`, not `{text}`"))?;
        let resource: Resource = resource
            .parse()
            .map_err(|e: crate::UnknownVariant| e.to_string())?;
        if resource == Resource::ApiKeys {
            return Err("API keys are managed by admins only; no scope grants it".into());
        }
        let access = access
            .parse()
            .map_err(|e: crate::UnknownVariant| e.to_string())?;
        Ok(Self { resource, access })
    }
}

impl Role {
    /// Whether this role may act on `resource`, before any unit-subtree restriction.
    /// Integration keys get exactly their scopes.
    pub fn allows(self, scopes: &[Scope], resource: Resource, access: Access) -> bool {
        match self {
            Role::Admin => true,
            Role::Auditor => access == Access::Read && resource != Resource::ApiKeys,
            Role::Officer => officer_allows(resource, access),
            Role::Integration => scopes.iter().any(|s| s.covers(resource, access)),
        }
    }

    /// Officers and integration keys may be limited to a unit subtree; officers must be.
    pub fn requires_unit(self) -> bool {
        self == Role::Officer
    }
}

fn officer_allows(resource: Resource, access: Access) -> bool {
    use Resource::*;
    match resource {
        Units | Procedures => access == Access::Read,
        Officials | Dossiers | Certificates | Reports => true,
        // An official's key may follow what happens in its own units; pushing events to another
        // system is configured by admins or by that system's integration key.
        Events => access == Access::Read,
        Audit | ApiKeys | Submissions | Subscriptions => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_writing_implies_reading() {
        let scope: Scope = "dossiers:write".parse().unwrap();
        assert!(scope.covers(Resource::Dossiers, Access::Read));
        assert!(!scope.covers(Resource::Officials, Access::Read));
        assert!("api_keys:read".parse::<Scope>().is_err());
        assert!("dossiers".parse::<Scope>().is_err());
    }

    #[test]
    fn role_matrix() {
        assert!(Role::Auditor.allows(&[], Resource::Audit, Access::Read));
        assert!(!Role::Auditor.allows(&[], Resource::Units, Access::Write));
        assert!(!Role::Officer.allows(&[], Resource::Units, Access::Write));
        assert!(Role::Officer.allows(&[], Resource::Officials, Access::Write));
        assert!(!Role::Integration.allows(&[], Resource::Procedures, Access::Read));
    }
}
