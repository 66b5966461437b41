//! Each adapter seen through [`ScenarioClient`](crate::scenarios::ScenarioClient).

pub mod tokio_client;

pub use tokio_client::TokioScenarioClient;
