//! The route table: every endpoint of the report service, one file per group.

use motcua_audit::routes as audit_trail;
use motcua_events::routes as events;
use motcua_events::subscriptions;
use motcua_keys::api_keys;
use motcua_web::{health, observe};
pub mod appearance_images;
pub mod archive;
pub mod exports;
pub mod inbox;
pub mod issue;
pub mod organisation_keys;
pub mod remote_signing;
pub mod reports;
pub mod signing;
pub mod verification_page;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(observe::metrics)
        .service(archive::archive_status)
        .service(archive::renew_archive)
        .service(reports::create_report)
        .service(reports::list_reports)
        .service(reports::get_report)
        .service(reports::list_versions)
        .service(reports::create_version)
        .service(reports::make_ready)
        .service(reports::return_to_draft)
        .service(signing::prepare_leader_signature)
        .service(signing::complete_leader_signature)
        .service(signing::open_leader_sessions)
        .service(signing::show_leader_session)
        .service(remote_signing::sign_leader_session_remotely)
        .service(remote_signing::leader_remote_credentials)
        .service(issue::issue_report)
        .service(issue::submit_report)
        .service(issue::get_delivery)
        .service(exports::download_document)
        .service(exports::download_figures)
        .service(exports::download_figures_csv)
        .service(exports::verify_report)
        .service(api_keys::list_api_keys)
        .service(api_keys::create_api_key)
        .service(api_keys::get_api_key)
        .service(api_keys::revoke_api_key)
        .service(organisation_keys::store_organisation_key)
        .service(organisation_keys::list_organisation_keys)
        .service(organisation_keys::bind_device_key)
        .service(appearance_images::put_signature_image)
        .service(appearance_images::put_seal_image)
        .service(appearance_images::get_signature_image)
        .service(appearance_images::get_seal_image)
        .service(appearance_images::delete_signature_image)
        .service(appearance_images::delete_seal_image)
        .service(inbox::receive_package)
        .service(inbox::list_received)
        .service(inbox::rollup)
        .service(inbox::get_received)
        .service(inbox::download_received)
        .service(inbox::reverify_received)
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

/// The service's routes, for [`motcua_web::service::bind`].
pub const ROUTES: motcua_web::service::Routes = motcua_web::service::Routes {
    openapi_base: crate::openapi::base,
    documented: configure,
    pages: verification_page::configure,
};
