//! `JsonBody<T>`: a JSON request body whose OpenAPI schema is `T`'s, parsed with serde so a
//! bad body is answered `VALIDATION_FAILED` naming the exact field (`content.buttons[0].title`),
//! which poem-openapi's own `Json<T>` does not do.

use poem::{FromRequest, IntoResponse, Request, RequestBody, Result};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::error::{ApiError, body};

pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        content_type.split(';').next().is_some_and(|m| {
            let m = m.trim();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// The field to report for a serde error at `path` under `prefix` (`content`, or none for the
/// body): serde reports a missing field at its parent, so the name is taken from the message.
pub fn field_of(prefix: Option<&str>, path: &str, message: &str) -> String {
    let mut parts: Vec<String> = prefix.into_iter().map(str::to_owned).collect();
    if path != "." && !path.is_empty() {
        parts.push(path.to_owned());
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(name) = rest.split('`').next()
    {
        parts.push(name.to_owned());
    }
    if parts.is_empty() { "body".to_owned() } else { parts.join(".") }
}

impl<T: Type + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body_in: &mut RequestBody) -> Result<Self> {
        let data = Vec::<u8>::from_request(request, body_in).await?;
        // Every request body is an object; serde would also build a struct from an array.
        if data.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'[') {
            let err = ApiError::validation("body", "must be a JSON object");
            return Err(poem::Error::from_response(err.into_response()));
        }
        let mut de = serde_json::Deserializer::from_slice(&data);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            // Anything but whitespace after the value is refused, as `serde_json::from_slice` does.
            Ok(v) => match de.end() {
                Ok(()) => Ok(Self(v)),
                Err(inner) => Err(poem::Error::from_response(malformed(&inner).into_response())),
            },
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = field_of(None, &path, &inner.to_string());
                let err =
                    if inner.is_syntax() || inner.is_eof() { malformed(&inner) } else { ApiError::validation(&field, &inner.to_string()) };
                Err(poem::Error::from_response(err.into_response()))
            }
        }
    }
}

fn malformed(inner: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(body("VALIDATION_FAILED", format!("body: malformed JSON ({inner})"), json!({ "field": "body" })))
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned + Send);

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn fields_are_named() {
        assert_eq!(field_of(None, ".", "missing field `to` at line 1 column 20"), "to");
        assert_eq!(field_of(None, "from", "invalid type"), "from");
        assert_eq!(field_of(Some("content"), ".", "missing field `buttons`"), "content.buttons");
        assert_eq!(field_of(Some("content"), "buttons[0]", "missing field `title`"), "content.buttons[0].title");
        assert_eq!(field_of(None, ".", "trailing characters"), "body");
    }
}
