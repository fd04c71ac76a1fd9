//! The route table: every endpoint of the results service, one file per group.

use motcua_audit::routes as audit_trail;
use motcua_events::routes as events;
use motcua_events::subscriptions;
use motcua_keys::api_keys;
use motcua_web::{health, observe};
pub mod archive;
pub mod audit;
pub mod calendar;
pub mod certificates;
pub mod component_signing;
pub mod dossier_import;
pub mod dossiers;
mod lifecycle_errors;
pub mod officials;
pub mod organisation_keys;
pub mod procedures;
pub mod results;
pub mod signing_sessions;
pub mod statistics;
pub mod timestamps;
pub mod trust;
pub mod units;
pub mod verification;
pub mod verification_page;

use chrono::{DateTime, NaiveDateTime, Utc};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(observe::metrics)
        .service(archive::archive_status)
        .service(archive::renew_archive)
        .service(units::list_units)
        .service(units::create_unit)
        .service(units::get_unit)
        .service(units::update_unit)
        .service(units::merge_unit)
        .service(units::staffing)
        .service(procedures::list_procedures)
        .service(procedures::create_procedure)
        .service(procedures::get_procedure)
        .service(procedures::update_procedure)
        .service(officials::list_officials)
        .service(officials::create_official)
        .service(officials::get_official)
        .service(officials::update_official)
        .service(certificates::list_certificates)
        .service(certificates::register_certificate)
        .service(certificates::validate_certificate)
        .service(certificates::get_certificate)
        .service(certificates::certificate_coverage)
        .service(organisation_keys::store_organisation_key)
        .service(organisation_keys::list_organisation_keys)
        .service(organisation_keys::bind_device_key)
        .service(trust::list_trust_anchors)
        .service(trust::add_trust_anchors)
        .service(trust::get_trust_anchor)
        .service(trust::remove_trust_anchor)
        .service(trust::list_crls)
        .service(trust::import_crl)
        .service(trust::get_crl)
        .service(trust::export_trust_store)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key)
        .service(api_keys::get_api_key)
        .service(api_keys::revoke_api_key)
        .service(dossiers::list_dossiers)
        .service(dossiers::create_dossier)
        .service(dossier_import::import_dossiers)
        .service(dossiers::get_dossier)
        .service(dossiers::transition)
        .service(results::issue_result)
        .service(results::download_result)
        .service(verification::verify_document)
        .service(verification::verify_dossier_result)
        .service(timestamps::timestamp)
        .service(dossiers::apologise)
        .service(dossiers::rate)
        .service(dossiers::complain)
        .service(component_signing::prepare)
        .service(component_signing::complete)
        .service(component_signing::open_sessions)
        .service(component_signing::show_session)
        .service(component_signing::download)
        .service(signing_sessions::remote)
        .service(signing_sessions::remote_credentials)
        .service(statistics::form06)
        .service(statistics::indicators)
        .service(statistics::rebuild)
        .service(calendar::get_year)
        .service(calendar::put_year)
        .service(audit::list_audit_events)
        .service(audit_trail::record_proof)
        .service(audit_trail::create_checkpoint)
        .service(audit_trail::latest_checkpoint)
        .service(audit_trail::get_checkpoint)
        .service(audit_trail::verify_trail)
        .service(events::list_events)
        .service(subscriptions::create_subscription)
        .service(subscriptions::list_subscriptions)
        .service(subscriptions::get_subscription)
        .service(subscriptions::delete_subscription)
        .service(subscriptions::redeliver);
}

/// Stored times are naive UTC; the API publishes them with their offset (RFC 3339).
pub(crate) fn utc(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}

/// The service's routes, for [`motcua_web::service::bind`].
pub const ROUTES: motcua_web::service::Routes = motcua_web::service::Routes {
    openapi_base: crate::openapi::base,
    documented: configure,
    pages: verification_page::configure,
};
