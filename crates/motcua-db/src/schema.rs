//! The tables, written once for both backends. Ids are BIGINT everywhere (SQLite's INTEGER
//! PRIMARY KEY is 64-bit); times are UTC `TIMESTAMP`s; enums are text.

diesel::table! {
    units (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<BigInt>,
        tax_code -> Nullable<Text>,
        budget_code -> Nullable<Text>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        merged_into_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    procedures (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        field -> Text,
        level_province -> Bool,
        level_district -> Bool,
        level_commune -> Bool,
        processing_days -> Integer,
        online_level -> Text,
        non_boundary -> Bool,
        fee_vnd -> Nullable<BigInt>,
        fee_note -> Nullable<Text>,
        decision_number -> Text,
        decision_date -> Date,
        supersedes_id -> Nullable<BigInt>,
        supersede_kind -> Nullable<Text>,
        superseded_by_id -> Nullable<BigInt>,
        abolished_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    officials (id) {
        id -> BigInt,
        full_name -> Text,
        personal_id -> Text,
        unit_id -> BigInt,
        role -> Text,
        title -> Nullable<Text>,
        staffing -> Text,
        agency -> Nullable<Text>,
        agency_name -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        role -> Text,
        unit_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_key_id -> Nullable<BigInt>,
        actor_name -> Text,
        action -> Text,
        object_type -> Text,
        object_id -> Text,
        request_id -> Text,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    audit_checkpoints (id) {
        id -> BigInt,
        created_at -> Timestamp,
        first_record_id -> BigInt,
        last_record_id -> BigInt,
        tree_size -> BigInt,
        root_hash -> Text,
        last_record_hash -> Text,
        signature -> Nullable<Binary>,
        signer -> Nullable<Text>,
        signer_fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Nullable<Integer>,
        content_type -> Nullable<Text>,
        location -> Nullable<Text>,
        body -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trust_store (id) {
        id -> Integer,
        version -> BigInt,
        changed_at -> Nullable<Timestamp>,
        revalidated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    trust_anchors (id) {
        id -> BigInt,
        kind -> Text,
        subject -> Text,
        issuer -> Text,
        serial -> Text,
        fingerprint -> Text,
        not_before -> Timestamp,
        not_after -> Timestamp,
        der -> Binary,
        added_at -> Timestamp,
        added_by -> Nullable<BigInt>,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    crls (id) {
        id -> BigInt,
        issuer -> Text,
        this_update -> Timestamp,
        next_update -> Nullable<Timestamp>,
        number -> Nullable<Text>,
        revoked_count -> BigInt,
        fingerprint -> Text,
        der -> Binary,
        added_at -> Timestamp,
        added_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    certificates (id) {
        id -> BigInt,
        kind -> Text,
        official_id -> Nullable<BigInt>,
        unit_id -> Nullable<BigInt>,
        subject -> Text,
        issuer -> Text,
        serial -> Text,
        fingerprint -> Text,
        not_before -> Timestamp,
        not_after -> Timestamp,
        der -> Binary,
        bound -> Bool,
        binding -> Text,
        status -> Text,
        summary -> Text,
        verdict -> Text,
        validated_at -> Timestamp,
        usable -> Bool,
        registered_at -> Timestamp,
        registered_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(officials -> units (unit_id));
diesel::joinable!(api_keys -> units (unit_id));
diesel::joinable!(certificates -> officials (official_id));
diesel::joinable!(certificates -> units (unit_id));

diesel::table! {
    dossiers (id) {
        id -> BigInt,
        code -> Text,
        unit_id -> BigInt,
        procedure_id -> BigInt,
        field -> Text,
        channel -> Text,
        status -> Text,
        applicant_kind -> Text,
        applicant_name -> Text,
        applicant_id_number -> Text,
        applicant_address -> Nullable<Text>,
        applicant_phone -> Nullable<Text>,
        applicant_email -> Nullable<Text>,
        request_content -> Nullable<Text>,
        receiving_official_id -> Nullable<BigInt>,
        submitted_at -> Timestamp,
        received_at -> Nullable<Timestamp>,
        received_on -> Nullable<Date>,
        due_at -> Nullable<Timestamp>,
        due_on -> Nullable<Date>,
        paused_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        resolved_on -> Nullable<Date>,
        resolution -> Nullable<Text>,
        returned_at -> Nullable<Timestamp>,
        appointment_at -> Nullable<Timestamp>,
        digitised -> Bool,
        reused -> Bool,
        electronic_result -> Bool,
        rating -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    dossier_components (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        position -> Integer,
        name -> Text,
        copies -> Integer,
        digitisation -> Text,
    }
}

diesel::table! {
    dossier_events (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        at -> Timestamp,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        official_id -> Nullable<BigInt>,
        actor_key_id -> Nullable<BigInt>,
        note -> Nullable<Text>,
        request_id -> Text,
    }
}

diesel::table! {
    dossier_sequences (unit_id, day) {
        unit_id -> BigInt,
        day -> Date,
        last_number -> Integer,
    }
}

diesel::table! {
    dossier_counts (unit_id, grain, day, field, metric) {
        unit_id -> BigInt,
        grain -> Text,
        day -> Date,
        field -> Text,
        metric -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        data -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signing_sessions (id) {
        id -> Text,
        dossier_id -> BigInt,
        position -> Integer,
        official_id -> BigInt,
        certificate_id -> BigInt,
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
    component_files (dossier_id, position) {
        dossier_id -> BigInt,
        position -> Integer,
        pdf -> Binary,
        sha256 -> Text,
        official_id -> BigInt,
        certificate_id -> BigInt,
        signed_at -> Timestamp,
    }
}

diesel::table! {
    organisation_keys (id) {
        id -> BigInt,
        certificate_id -> BigInt,
        pkcs12 -> Binary,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    organisation_key_devices (id) {
        id -> BigInt,
        certificate_id -> BigInt,
        device -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    dossier_results (id) {
        id -> BigInt,
        dossier_id -> BigInt,
        pdf -> Binary,
        sha256 -> Text,
        certificate_id -> BigInt,
        signed_at -> Timestamp,
        signed_by -> Nullable<BigInt>,
    }
}

diesel::joinable!(organisation_keys -> certificates (certificate_id));
diesel::joinable!(organisation_key_devices -> certificates (certificate_id));
diesel::joinable!(dossier_results -> dossiers (dossier_id));
diesel::joinable!(dossier_results -> certificates (certificate_id));
diesel::joinable!(dossiers -> units (unit_id));
diesel::joinable!(dossiers -> procedures (procedure_id));
diesel::joinable!(dossier_components -> dossiers (dossier_id));
diesel::joinable!(dossier_events -> dossiers (dossier_id));

diesel::table! {
    events (sequence) {
        sequence -> BigInt,
        id -> Text,
        event_type -> Text,
        subject -> Text,
        unit_id -> Nullable<BigInt>,
        unit_scope -> Text,
        occurred_at -> Timestamp,
        data -> Text,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> BigInt,
        callback_url -> Text,
        event_types -> Text,
        unit_id -> Nullable<BigInt>,
        secret_sealed -> Binary,
        state -> Text,
        delivered_through -> BigInt,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        last_attempt_at -> Nullable<Timestamp>,
        last_delivered_at -> Nullable<Timestamp>,
        lease_holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    units,
    procedures,
    officials,
    api_keys,
    audit_events,
    audit_checkpoints,
    idempotency_keys,
    dossiers,
    dossier_components,
    dossier_events,
    dossier_sequences,
    dossier_counts,
    calendar_years,
    trust_store,
    trust_anchors,
    crls,
    certificates,
    signing_sessions,
    component_files,
    organisation_keys,
    organisation_key_devices,
    dossier_results,
    events,
    subscriptions,
);
