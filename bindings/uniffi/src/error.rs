//! The errors Kotlin (`AuthException`) and Swift see, derived from the core's declaration of every error code
//! (`authcore::for_each_error!`), so no code, variant or field is listed here.
//!
//! Every variant carries the stable `code` (`AuthError::code()` of the core), a human `reason` (the core's
//! message), then the core variant's own fields: those the declaration shows to hosts, then its hidden ones
//! (the raw `message`). `uniffi.toml` names `message` `detail` in Kotlin and Swift, where an exception's
//! `message` is taken. The mapping is lossless both ways, so an `AuthException` that a Kotlin override rethrows
//! (or throws itself) reaches the caller as the same variant. Any other exception thrown by host code arrives as
//! [`uniffi::UnexpectedUniFFICallbackError`] and becomes `Host` (`HOST_ERROR`) with the exception's text.

/// A declared field's type as uniffi carries it (`usize` has no uniffi form: it crosses as `u64`).
pub trait Field: Sized {
    type Uni;
    fn to_uni(self) -> Self::Uni;
    fn from_uni(value: Self::Uni) -> Self;
}

macro_rules! same_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            type Uni = $t;
            fn to_uni(self) -> $t {
                self
            }
            fn from_uni(value: $t) -> $t {
                value
            }
        }
    )*};
}

same_field!(String, u64, i64, u16);

impl Field for usize {
    type Uni = u64;
    fn to_uni(self) -> u64 {
        self as u64
    }
    fn from_uni(value: u64) -> usize {
        usize::try_from(value).unwrap_or(usize::MAX)
    }
}

/// The core error of a binding variant's fields. A host error is rebuilt without the host payload the core
/// may have carried (only the engine attaches one).
macro_rules! core_error {
    (Host { $($f:ident),* $(,)? }) => {
        authcore::AuthError::host($(<String as Field>::from_uni($f))*)
    };
    ($variant:ident { $($f:ident),* $(,)? }) => {
        authcore::AuthError::$variant { $($f: Field::from_uni($f)),* }
    };
}

/// Derives the enum, `code()` and both conversions from the core's declaration.
macro_rules! uniffi_errors {
    ($(
        $variant:ident $code:literal $doc:literal
            { $($src:ident $(as $name:ident)? : $ty:ty),* $(,)? } $(hidden { $($hsrc:ident : $hty:ty),* })?;
    )*) => {
        /// An authcore error: misuse or infrastructure failure. Domain outcomes are result variants, not errors.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        pub enum AuthError {
            $(
                #[doc = $doc]
                #[error("{code}: {reason}")]
                $variant {
                    code: String,
                    reason: String,
                    $($src: <$ty as Field>::Uni,)*
                    $($($hsrc: <$hty as Field>::Uni,)*)?
                },
            )*
        }

        impl AuthError {
            fn code_str(&self) -> &'static str {
                match self {
                    $(AuthError::$variant { .. } => $code,)*
                }
            }
        }

        impl From<authcore::AuthError> for AuthError {
            fn from(e: authcore::AuthError) -> Self {
                let code = e.code().to_string();
                let reason = e.to_string();
                match e {
                    $(authcore::AuthError::$variant { $($src,)* $($($hsrc,)*)? .. } => AuthError::$variant {
                        code,
                        reason,
                        $($src: $src.to_uni(),)*
                        $($($hsrc: $hsrc.to_uni(),)*)?
                    },)*
                }
            }
        }

        impl From<AuthError> for authcore::AuthError {
            fn from(e: AuthError) -> Self {
                // `code` and `reason` are derived from the other fields; the core recomputes them.
                match e {
                    $(AuthError::$variant { $($src,)* $($($hsrc,)*)? .. } => {
                        core_error!($variant { $($src,)* $($($hsrc),*)? })
                    })*
                }
            }
        }
    };
}

authcore::for_each_error!(uniffi_errors);

#[uniffi::export]
impl AuthError {
    /// The stable machine-readable code (`UNKNOWN_USER_ID`, `HOST_ERROR`, ...), whatever the variant.
    pub fn code(&self) -> String {
        self.code_str().to_string()
    }
}

impl AuthError {
    /// A host error with this message.
    pub fn host(message: impl Into<String>) -> Self {
        authcore::AuthError::host(message).into()
    }
}

/// A host exception that is not an `AuthException` (or a failure of the callback machinery itself).
impl From<uniffi::UnexpectedUniFFICallbackError> for AuthError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AuthError::host(e.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample value of each field type.
    trait Sample {
        fn sample() -> Self;
    }

    impl Sample for String {
        fn sample() -> Self {
            "x".into()
        }
    }

    impl Sample for u64 {
        fn sample() -> Self {
            5
        }
    }

    impl Sample for i64 {
        fn sample() -> Self {
            9
        }
    }

    impl Sample for u16 {
        fn sample() -> Self {
            400
        }
    }

    impl Sample for usize {
        fn sample() -> Self {
            256
        }
    }

    /// `all()`: one core error of every declared code, with sample fields.
    macro_rules! samples {
        ($(
            $variant:ident $code:literal $doc:literal
                { $($src:ident $(as $name:ident)? : $ty:ty),* $(,)? } $(hidden { $($hsrc:ident : $hty:ty),* })?;
        )*) => {
            fn all() -> Vec<authcore::AuthError> {
                vec![$({
                    $(let $src = <$ty as Sample>::sample().to_uni();)*
                    $($(let $hsrc = <$hty as Sample>::sample().to_uni();)*)?
                    core_error!($variant { $($src,)* $($($hsrc),*)? })
                }),*]
            }
        };
    }

    authcore::for_each_error!(samples);

    #[test]
    fn every_core_error_round_trips_with_its_code_and_message() {
        let all = all();
        assert_eq!(all.len(), authcore::error::ERRORS.len());
        for e in all {
            let b = AuthError::from(e.clone());
            assert_eq!(b.code(), e.code());
            assert!(b.to_string().contains(&e.to_string()), "{b} / {e}");
            assert_eq!(authcore::AuthError::from(b), e);
        }
    }

    #[test]
    fn an_unexpected_host_exception_is_host_error() {
        let e = AuthError::from(uniffi::UnexpectedUniFFICallbackError {
            reason: "java.lang.IllegalStateException: boom".into(),
        });
        assert_eq!(e.code(), "HOST_ERROR");
        assert!(e.to_string().contains("boom"));
    }
}
