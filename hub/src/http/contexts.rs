//! The pinned JSON-LD contexts, read-only and cacheable, for clients that expand our records
//! without our code (`op_protocol::routes::CONTEXTS`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};

/// `GET /.well-known/op-contexts/…`.
pub async fn serve(req: HttpRequest) -> HttpResponse {
    let (status, media, body) = op_protocol::contexts::answer(req.path());
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND))
        .content_type(media)
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}
