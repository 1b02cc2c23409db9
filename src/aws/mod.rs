//! What the AWS sources and the action executors share: errors in plain words,
//! the request counter every client carries, and SageMaker's statuses mapped to the
//! dashboard's. Below both; knows nothing of either.

pub mod arn;
pub mod calls;
pub mod errors;
pub mod status;

pub use calls::ApiCalls;
