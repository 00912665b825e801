//! `/healthz`: the HTTP server is up (the kubelet answers "ok" the same way;
//! plugin health is the Node's Ready condition, not this).

pub async fn handler() -> &'static str {
    "ok"
}
