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

impl Repository<'_> {
    /// The referrers of `digest` however the registry keeps them: the
    /// referrers API, else the entries of the fallback tag `sha256-<hex>`'s
    /// index (empty when neither lists any).
    pub fn find_referrers(&self, digest: &str) -> Result<Vec<crate::Descriptor>, RegistryError> {
        if let Some(found) = self.referrers(digest)? {
            return Ok(found);
        }
        let Some(hex) = digest.strip_prefix("sha256:") else {
            return Ok(Vec::new());
        };
        let tag = format!("sha256-{hex}");
        match self.get_manifest(&tag)? {
            Some(m) if crate::manifest::is_index(&m.media_type) => {
                let index: Index = serde_json::from_slice(&m.bytes).map_err(|e| {
                    self.protocol(format!(
                        "the referrers tag {tag} is not an image index: {e}"
                    ))
                })?;
                Ok(index.manifests)
            }
            _ => Ok(Vec::new()),
        }
    }
}
