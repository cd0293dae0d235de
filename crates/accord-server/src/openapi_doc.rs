//! The OpenAPI document as served: what utoipa derives from the handlers,
//! with what holds for every operation said once. Every error is RFC 9457
//! `application/problem+json` (utoipa would call it `application/json`),
//! and any status an operation does not list — 400 for malformed JSON, 401,
//! 413, 415, 429, 503… — still comes as a `Problem`: the `default` response.

use serde_json::{json, Value};

/// Unions that serde writes untagged (`#[serde(untagged)]`).
const UNTAGGED: &[&str] = &["QuestionView", "ResultsOut", "TallyView", "CreatePoll"];

const PROBLEM_REF: &str = "#/components/schemas/Problem";
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// The document `/api/openapi.json` serves: the routes' operations, and the
/// event socket's messages as schemas, so clients generate both from one
/// source.
pub fn document() -> Value {
    use utoipa::openapi::schema::ComponentsBuilder;
    use utoipa::{PartialSchema, ToSchema};
    let (_, mut openapi) = crate::routes::api().split_for_parts();
    let mut socket = ComponentsBuilder::new();
    let mut schemas = Vec::new();
    accord_realtime::wire::ServerMsg::schemas(&mut schemas);
    accord_realtime::wire::ClientMsg::schemas(&mut schemas);
    schemas.push((
        accord_realtime::wire::ServerMsg::name().into_owned(),
        accord_realtime::wire::ServerMsg::schema(),
    ));
    schemas.push((
        accord_realtime::wire::ClientMsg::name().into_owned(),
        accord_realtime::wire::ClientMsg::schema(),
    ));
    socket = socket.schemas_from_iter(schemas);
    let socket = socket.build();
    match openapi.components.as_mut() {
        Some(c) => c.schemas.extend(socket.schemas),
        None => openapi.components = Some(socket),
    }
    let mut doc = serde_json::to_value(&openapi).unwrap_or_default();
    // Every problem `type` the server sends, so clients can translate each.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let types: Vec<String> = crate::error::ErrorKind::ALL
            .iter()
            .map(|k| k.type_urn())
            .collect();
        schemas.insert(
            "ProblemType".into(),
            json!({
                "type": "string",
                "description": "Every `type` a Problem carries (urn:accord:problem:<slug>).",
                "enum": types,
            }),
        );
    }
    served(doc)
}

/// `doc` (utoipa's, as JSON) with problem responses as they are sent.
pub fn served(mut doc: Value) -> Value {
    // Untagged unions (a question or results as participants or as the
    // audience see them) overlap by design: a value may match both shapes.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in UNTAGGED {
            if let Some(obj) = schemas.get_mut(*name).and_then(Value::as_object_mut) {
                if let Some(one_of) = obj.remove("oneOf") {
                    obj.insert("anyOf".into(), one_of);
                }
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for item in paths.values_mut() {
        for method in METHODS {
            // utoipa names operations by handler, and handlers repeat across
            // modules (`list`, `create`): prefix the tag for unique ids.
            if let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) {
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                if let (Some(tag), Some(Value::String(id))) = (tag, op.get_mut("operationId")) {
                    *id = format!("{tag}_{id}");
                }
            }
            let Some(responses) = item
                .get_mut(*method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for response in responses.values_mut() {
                problem_content_type(response);
            }
            responses.entry("default").or_insert_with(|| {
                json!({
                    "description": "Any other error, as RFC 9457 problem details",
                    "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
                })
            });
        }
    }
    doc
}

/// Moves a `Problem` body from `application/json` to `application/problem+json`.
fn problem_content_type(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let is_problem = content
        .get("application/json")
        .and_then(|c| c.pointer("/schema/$ref"))
        .and_then(Value::as_str)
        == Some(PROBLEM_REF);
    if is_problem {
        if let Some(body) = content.remove("application/json") {
            content.insert("application/problem+json".into(), body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_get_their_media_type_and_a_default() {
        let doc = json!({"paths": {"/x": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
            "404": {"description": "nope", "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}}}
        }}}}});
        let out = served(doc);
        let r = &out["paths"]["/x"]["get"]["responses"];
        assert!(r["200"]["content"]["application/json"].is_object());
        assert!(r["404"]["content"]["application/problem+json"].is_object());
        assert!(r["404"]["content"].get("application/json").is_none());
        assert_eq!(
            r["default"]["content"]["application/problem+json"]["schema"]["$ref"],
            PROBLEM_REF
        );
    }
}
