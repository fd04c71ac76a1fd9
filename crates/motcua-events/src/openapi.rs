//! The `webhooks` section of both services' OpenAPI documents (OpenAPI 3.1): the POST a
//! subscriber receives. utoipa 5 has no field for it, so it is added as a top-level member
//! through the document's extensions, which are written flattened into the document.

use serde_json::json;
use utoipa::openapi::OpenApi as OpenApiDoc;

/// `doc` with its `webhooks` section.
pub fn with_webhooks(mut doc: OpenApiDoc) -> OpenApiDoc {
    doc.extensions
        .get_or_insert_with(Default::default)
        .insert("webhooks".into(), webhooks());
    doc
}

fn header(name: &str, description: &str, example: &str) -> serde_json::Value {
    json!({"name": name, "in": "header", "required": true, "description": description,
           "schema": {"type": "string"}, "example": example})
}

fn webhooks() -> serde_json::Value {
    json!({
        "event": {
            "post": {
                "summary": "One event, POSTed to a subscription's callback URL",
                "description": "Sent one at a time in sequence order; the next only after a \
                    2xx answer within 10 s. Anything else is retried with exponential backoff \
                    (the same event, the same `webhook-id`); delivery is at least once, so \
                    de-duplicate on `webhook-id`. Verify `webhook-signature` before trusting \
                    the body, and refuse timestamps far from your clock.",
                "tags": ["events"],
                "parameters": [
                    header("webhook-id", "The event's id (CloudEvents `id`): the same on every \
                        attempt to deliver it.", "01939a4e-3c1f-7d2a-9b1e-5f0c2a7d8e11"),
                    header("webhook-timestamp", "When this attempt was signed, in seconds since \
                        the Unix epoch.", "1733400000"),
                    header("webhook-signature", "`v1,` followed by the base64 of \
                        HMAC-SHA256(secret bytes, `{webhook-id}.{webhook-timestamp}.{body}`), \
                        the secret bytes being the base64 after `whsec_` (Standard Webhooks).",
                        "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
                ],
                "requestBody": {
                    "required": true,
                    "content": {
                        "application/cloudevents+json": {
                            "schema": {"$ref": "#/components/schemas/CloudEvent"}
                        }
                    }
                },
                "responses": {
                    "2XX": {"description": "Received: the next event follows."},
                    "default": {"description": "Not received: the same event is sent again later."}
                }
            }
        }
    })
}
