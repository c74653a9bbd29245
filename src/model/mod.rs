//! Layer 1, model: what the files mean. Knowledge tables (credential formats,
//! permissions), the typed entities rules ask about (workloads and why each is an
//! agent, identities, credentials, grants, definitions), the extractors that build them
//! from documents and the resolution that joins them across files. Imports only
//! [`crate::syntax`].

pub mod agent;
pub mod catalog;
pub mod extract;
pub mod facts;
pub mod grants;
pub mod iam;
pub mod identity;
pub mod knowledge;
pub mod names;
pub mod people;
pub mod rating;
pub mod resolve;
pub mod scope;
