//! The report service's own tables (`migrations/reports`). `api_keys`, `audit_events`, `events`,
//! `subscriptions` and `idempotency_keys` are shared in shape with the results database and
//! declared in `crate::schema`.

diesel::table! {
    reports (id) {
        id -> Text,
        kind -> Text,
        unit_id -> BigInt,
        unit_name -> Text,
        unit_scope -> Text,
        periods -> Text,
        status -> Text,
        corrects -> Nullable<Text>,
        current_version -> Integer,
        leader_official_id -> Nullable<BigInt>,
        leader_name -> Nullable<Text>,
        leader_signed_at -> Nullable<Timestamp>,
        number -> Nullable<Integer>,
        number_year -> Nullable<Integer>,
        number_text -> Nullable<Text>,
        issued_at -> Nullable<Timestamp>,
        submitted_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_versions (report_id, version) {
        report_id -> Text,
        version -> Integer,
        figures -> Text,
        figures_sha256 -> Text,
        sources -> Text,
        compiled_at -> Timestamp,
        texts -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    report_documents (report_id, stage) {
        report_id -> Text,
        stage -> Text,
        pdf -> Binary,
        sha256 -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    report_signing_sessions (id) {
        id -> Text,
        report_id -> Text,
        official_id -> BigInt,
        official_name -> Text,
        certificate -> Binary,
        chain -> Binary,
        prepared -> Text,
        pdf -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        state -> Text,
        remote_provider -> Nullable<Text>,
        remote_credential -> Nullable<Text>,
        remote_transaction -> Nullable<Text>,
        approval_deadline -> Nullable<Timestamp>,
        state_reason -> Nullable<Text>,
    }
}

diesel::table! {
    official_signature_images (official_id) {
        official_id -> BigInt,
        png -> Binary,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unit_seal_images (unit_id) {
        unit_id -> BigInt,
        png -> Binary,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_keys (id) {
        id -> BigInt,
        unit_id -> BigInt,
        certificate -> Binary,
        pkcs12 -> Nullable<Binary>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        device -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (report_id) {
        report_id -> Text,
        destination -> Text,
        package -> Binary,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        receipt -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    received_reports (report_id) {
        report_id -> Text,
        sender_unit_id -> BigInt,
        sender_unit_name -> Text,
        sender_level -> Text,
        kind -> Text,
        periods -> Text,
        number_text -> Text,
        issued_at -> Timestamp,
        corrects -> Nullable<Text>,
        figures -> Text,
        figures_sha256 -> Text,
        pdf -> Binary,
        pdf_sha256 -> Text,
        verification -> Text,
        receipt -> Text,
        received_at -> Timestamp,
        received_by -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    reports,
    report_versions,
    report_documents,
    report_signing_sessions,
    outbox,
);
