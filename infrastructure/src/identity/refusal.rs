//! Turning verification failures into `AuthError`s whose text is safe to log: fixed phrases,
//! never a fragment of the token (jsonwebtoken's JSON errors can quote claim values).

use application::ports::AuthError;
use jsonwebtoken::errors::{Error, ErrorKind};

pub(super) fn invalid(reason: &str) -> AuthError {
    AuthError::Invalid(reason.to_owned())
}

pub(super) fn from_jwt_error(error: &Error) -> AuthError {
    let reason = match error.kind() {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not valid yet (nbf)",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "algorithm not allowed for this IdP",
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "exp" => "missing required claim exp",
            "sub" => "missing required claim sub",
            "iss" => "missing required claim iss",
            "aud" => "missing required claim aud",
            _ => "missing required claim",
        },
        ErrorKind::InvalidClaimFormat(_) => "malformed time claim",
        ErrorKind::InvalidKeyFormat | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEcdsaKey => {
            "key does not fit the token's algorithm"
        }
        _ => "malformed token",
    };
    invalid(reason)
}
