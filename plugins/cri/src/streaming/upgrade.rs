//! Opening a SPDY/3.1 connection to a CRI streaming URL: an HTTP/1.1 POST
//! with `Upgrade: SPDY/3.1` offering one Kubernetes stream protocol, as
//! client-go's SPDY round tripper sends it; on `101 Switching Protocols` the
//! connection becomes a [`vk_spdy`] session, driven by a task that ends
//! with the [`Connection`].

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper::header::{CONNECTION, HOST, UPGRADE};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::StreamError;

/// A refusal's body is shown up to this many bytes.
const MAX_REFUSAL_BODY: usize = 1024;
/// Connecting and upgrading together may take this long (a stuck streaming
/// server must not hang the session).
const DIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An open SPDY connection; dropping it closes the connection.
pub struct Connection {
    pub client: vk_spdy::Client,
    _driver: AbortOnDropHandle<Result<vk_spdy::Ending, vk_spdy::FrameError>>,
}

/// Dials `url` (as CRI returned it: `http://127.0.0.1:PORT/exec/TOKEN`)
/// and upgrades it to SPDY/3.1 with `protocol`, within [`DIAL_TIMEOUT`].
pub async fn dial(url: &str, protocol: &'static str) -> Result<Connection, StreamError> {
    tokio::time::timeout(DIAL_TIMEOUT, dial_now(url, protocol))
        .await
        .unwrap_or_else(|_| {
            Err(StreamError::Connect {
                url: url.to_owned(),
                protocol,
                source: format!("no upgrade within {}s", DIAL_TIMEOUT.as_secs()).into(),
            })
        })
}

async fn dial_now(url: &str, protocol: &'static str) -> Result<Connection, StreamError> {
    let bad_url = || StreamError::Url {
        url: url.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| bad_url())?;
    let authority = uri
        .authority()
        .filter(|_| uri.scheme_str() == Some("http"))
        .ok_or_else(bad_url)?
        .clone();
    let connect_error = |source: Box<dyn std::error::Error + Send + Sync>| StreamError::Connect {
        url: url.to_owned(),
        protocol,
        source,
    };

    let tcp = TcpStream::connect((authority.host(), authority.port_u16().unwrap_or(80)))
        .await
        .map_err(|error| connect_error(error.into()))?;
    let (mut sender, http) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|error| connect_error(error.into()))?;
    // Runs the HTTP exchange and hands the connection over at the upgrade.
    let http = AbortOnDropHandle::new(tokio::spawn(http.with_upgrades()));
    let request = Request::post(uri.path_and_query().map_or("/", |path| path.as_str()))
        .header(HOST, authority.as_str())
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, vk_spdy::UPGRADE)
        .header(vk_spdy::PROTOCOL_HEADER, protocol)
        .body(Empty::<Bytes>::new())
        .map_err(|error| connect_error(error.into()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| connect_error(error.into()))?;
    if response.status() != StatusCode::SWITCHING_PROTOCOLS {
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|body| body.to_bytes())
            .unwrap_or_default();
        return Err(StreamError::Refused {
            url: url.to_owned(),
            status,
            body: String::from_utf8_lossy(&body[..body.len().min(MAX_REFUSAL_BODY)])
                .trim()
                .to_owned(),
        });
    }
    let agreed = response
        .headers()
        .get(vk_spdy::PROTOCOL_HEADER)
        .and_then(|value| value.to_str().ok());
    if agreed != Some(protocol) {
        return Err(connect_error(
            format!("the server agreed to protocol {agreed:?}, not {protocol}").into(),
        ));
    }
    let upgraded = hyper::upgrade::on(response)
        .await
        .map_err(|error| connect_error(error.into()))?;
    drop(http);
    let (client, driver) = vk_spdy::dial(TokioIo::new(upgraded), CancellationToken::new());
    Ok(Connection {
        client,
        _driver: AbortOnDropHandle::new(tokio::spawn(driver)),
    })
}
