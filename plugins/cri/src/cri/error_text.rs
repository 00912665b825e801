//! A runtime error as the kubelet prints one: grpc-go's
//! `rpc error: code = Unknown desc = ...`.

/// The text of a gRPC error in grpc-go's form (its code names: `Canceled`,
/// `OK`).
pub fn grpc_error_text(status: &tonic::Status) -> String {
    let code = match status.code() {
        tonic::Code::Ok => "OK".to_owned(),
        tonic::Code::Cancelled => "Canceled".to_owned(),
        other => format!("{other:?}"),
    };
    format!("rpc error: code = {code} desc = {}", status.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_errors_read_as_the_kubelet_prints_them() {
        assert_eq!(
            grpc_error_text(&tonic::Status::unknown("failed to create containerd task")),
            "rpc error: code = Unknown desc = failed to create containerd task"
        );
        assert_eq!(
            grpc_error_text(&tonic::Status::invalid_argument("bad")),
            "rpc error: code = InvalidArgument desc = bad"
        );
        assert_eq!(
            grpc_error_text(&tonic::Status::cancelled("gone")),
            "rpc error: code = Canceled desc = gone"
        );
    }
}
