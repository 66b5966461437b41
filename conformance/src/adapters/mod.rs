//! Each adapter seen through [`ScenarioClient`](crate::scenarios::ScenarioClient).

pub mod blocking_client;
pub mod smol_client;
pub mod tokio_client;

pub use blocking_client::BlockingScenarioClient;
pub use smol_client::SmolScenarioClient;
pub use tokio_client::TokioScenarioClient;
