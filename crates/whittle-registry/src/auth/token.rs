//! Bearer tokens (distribution's token authentication and OAuth2 specs):
//! fetching them from the challenge's realm and caching them per
//! (registry, scope) for every thread of a [`crate::Client`].

use std::collections::HashMap;
use std::sync::Mutex;

use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde::Deserialize;
use url::Url;

use super::Credentials;
use crate::error::RegistryError;
use crate::transport::{status_error, Target, Transport};

/// Bearer tokens by (registry, scopes).
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<(String, String), String>>,
}

impl TokenCache {
    /// A cached token good for `scopes` (a `pull,push` token also serves `pull`).
    pub(crate) fn get(&self, registry: &str, scopes: &[String]) -> Option<String> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(token) = tokens.get(&(registry.to_string(), scopes.join(" "))) {
            return Some(token.clone());
        }
        let widened: Vec<String> = scopes
            .iter()
            .map(|s| {
                s.strip_suffix(":pull")
                    .map_or_else(|| s.clone(), |r| format!("{r}:pull,push"))
            })
            .collect();
        tokens
            .get(&(registry.to_string(), widened.join(" ")))
            .cloned()
    }

    pub(crate) fn put(&self, registry: &str, scopes: &[String], token: String) {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((registry.to_string(), scopes.join(" ")), token);
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Ask `realm` for a token for `scopes`: a GET with Basic credentials (or
/// anonymously), or with an identity token the OAuth2 refresh-token POST.
pub(crate) fn fetch(
    transport: &Transport,
    target: &Target<'_>,
    realm: &str,
    service: Option<&str>,
    scopes: &[String],
    credentials: Option<&Credentials>,
) -> Result<String, RegistryError> {
    let build = |http: &Http| -> Result<RequestBuilder, RegistryError> {
        let mut url = Url::parse(realm).map_err(|e| RegistryError::Protocol {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            reason: format!("the token realm {realm:?} is not a URL: {e}"),
        })?;
        if let Some(Credentials::IdentityToken(refresh)) = credentials {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "refresh_token")
                .append_pair("refresh_token", refresh)
                .append_pair("client_id", "whittle");
            if let Some(service) = service {
                form.append_pair("service", service);
            }
            if !scopes.is_empty() {
                form.append_pair("scope", &scopes.join(" "));
            }
            return Ok(http
                .post(url)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form.finish()));
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            for scope in scopes {
                query.append_pair("scope", scope);
            }
        }
        let request = http.get(url);
        Ok(match credentials {
            Some(Credentials::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            _ => request,
        })
    };
    let response = transport.send_retrying(target, &build, true)?;
    let status = response.status();
    if status == StatusCode::UNAUTHORIZED {
        return Err(RegistryError::Unauthorized {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            hint: crate::transport::unauthorized_hint(target.registry, credentials.is_some()),
        });
    }
    if !status.is_success() {
        return Err(status_error(target, response, "token"));
    }
    let body = crate::transport::read_small(target, response, "token answer")?;
    let answer: TokenAnswer =
        serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            reason: format!("the token endpoint's answer is not valid JSON: {e}"),
        })?;
    answer
        .token
        .or(answer.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RegistryError::Protocol {
            registry: target.registry.to_string(),
            repository: target.repository.to_string(),
            reason: "the token endpoint answered without a token".to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_token_serves_pull() {
        let cache = TokenCache::default();
        cache.put(
            "r",
            &["repository:a:pull,push".to_string()],
            "t1".to_string(),
        );
        assert_eq!(
            cache
                .get("r", &["repository:a:pull".to_string()])
                .as_deref(),
            Some("t1")
        );
        assert_eq!(cache.get("r", &["repository:b:pull".to_string()]), None);
        assert_eq!(
            cache.get("other", &["repository:a:pull,push".to_string()]),
            None
        );
    }
}
