//! The registry's access log: gorilla/handlers' combined log format, one
//! line per answered request, e.g.
//! `127.0.0.1 - - [04/Dec/2026:17:18:12 +0000] "HEAD /v2/app/blobs/sha256:… HTTP/1.1" 404 157 "" "whittle/0.1.0"`.
//! Lines of any other shape are skipped.

/// One request the registry answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, `PUT`, `POST`, `PATCH`, `DELETE`.
    pub method: String,
    /// The path, without the query (`/v2/app/manifests/1`).
    pub path: String,
    /// The HTTP status answered.
    pub status: u16,
}

impl Request {
    /// Whether this is `method` on a path starting with `prefix`.
    pub fn is(&self, method: &str, prefix: &str) -> bool {
        self.method == method && self.path.starts_with(prefix)
    }
}

/// Every request line of `log`, in order.
pub(super) fn parse(log: &str) -> Vec<Request> {
    log.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Request> {
    // `… [date] "METHOD URI PROTO" STATUS SIZE "referer" "agent"`
    let (_, rest) = line.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let mut parts = request.split(' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    if !parts.next()?.starts_with("HTTP/") || method.is_empty() {
        return None;
    }
    let status = rest.split(' ').next()?.parse().ok()?;
    let path = uri.split_once('?').map_or(uri, |(p, _)| p);
    Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_combined_lines_and_skips_others() {
        let log = "\
127.0.0.1 - - [04/Dec/2026:17:18:12 +0000] \"GET /v2/ HTTP/1.1\" 401 87 \"\" \"curl/7.88.1\"
time=\"2026-12-04T17:18:10Z\" level=info msg=\"listening on 127.0.0.1:15099\"
127.0.0.1 - alice [04/Dec/2026:17:18:12 +0000] \"PUT /v2/a/b/blobs/uploads/x?digest=sha256%3Aab HTTP/1.1\" 201 0 \"\" \"whittle/0.1.0 (x; y)\"
garbage
";
        assert_eq!(
            parse(log),
            vec![
                Request {
                    method: "GET".into(),
                    path: "/v2/".into(),
                    status: 401
                },
                Request {
                    method: "PUT".into(),
                    path: "/v2/a/b/blobs/uploads/x".into(),
                    status: 201
                },
            ]
        );
    }
}
