//! The referrers API (OCI distribution spec 1.1, "Listing Referrers"):
//! which manifests name a given manifest as their `subject`.

use reqwest::header::ACCEPT;
use reqwest::StatusCode;

use crate::client::{next_link, Repository};
use crate::error::RegistryError;
use crate::manifest::{Index, OCI_INDEX};
use crate::transport::{read_small, status_error};

impl Repository<'_> {
    /// The descriptors of the manifests whose subject is `digest`, or
    /// `None` when the registry has no referrers API (it answers 404, 400,
    /// 405 or 501; the OCI 1.1 fallback tag `sha256-<hex>` is then the
    /// place to look, see [`crate::attach`]). Follows `Link` pages.
    pub fn referrers(&self, digest: &str) -> Result<Option<Vec<crate::Descriptor>>, RegistryError> {
        let mut found = Vec::new();
        let mut next = Some(self.url(&format!("referrers/{digest}")));
        let mut first = true;
        while let Some(url) = next.take() {
            let response =
                self.transport()
                    .send(&self.target(), &self.scopes(false), true, &|http| {
                        Ok(http.get(&url).header(ACCEPT, OCI_INDEX))
                    })?;
            let status = response.status();
            if first
                && matches!(
                    status,
                    StatusCode::NOT_FOUND
                        | StatusCode::BAD_REQUEST
                        | StatusCode::METHOD_NOT_ALLOWED
                        | StatusCode::NOT_IMPLEMENTED
                )
            {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(status_error(
                    &self.target(),
                    response,
                    &format!("referrers of {digest}"),
                ));
            }
            first = false;
            next = next_link(&response, &url);
            let body = read_small(&self.target(), response, "referrers index")?;
            let index: Index = serde_json::from_slice(&body).map_err(|e| {
                self.protocol(format!(
                    "the referrers of {digest} are not an image index: {e}"
                ))
            })?;
            found.extend(index.manifests);
        }
        Ok(Some(found))
    }
}
