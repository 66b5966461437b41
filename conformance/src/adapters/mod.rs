//! Each adapter seen through [`ScenarioClient`](crate::scenarios::ScenarioClient).

pub mod blocking_client;
pub mod tokio_client;

pub use blocking_client::BlockingScenarioClient;
pub use tokio_client::TokioScenarioClient;
