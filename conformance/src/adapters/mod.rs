//! Each adapter seen through [`ScenarioClient`](crate::scenarios::ScenarioClient).

pub mod blocking_client;
pub mod smol_client;
pub mod tokio_client;

pub use blocking_client::BlockingScenarioClient;
pub use smol_client::SmolScenarioClient;
pub use tokio_client::TokioScenarioClient;

/// One test module per case, each with a test per adapter:
/// `every_adapter!(case_a, case_b)` runs `case_a::<C>()` for the r2-tokio,
/// r2-blocking and r2-smol clients.
#[macro_export]
macro_rules! every_adapter {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[test]
                fn r2_tokio() {
                    super::$case::<$crate::adapters::TokioScenarioClient>();
                }

                #[test]
                fn r2_blocking() {
                    super::$case::<$crate::adapters::BlockingScenarioClient>();
                }

                #[test]
                fn r2_smol() {
                    super::$case::<$crate::adapters::SmolScenarioClient>();
                }
            }
        )*
    };
}
