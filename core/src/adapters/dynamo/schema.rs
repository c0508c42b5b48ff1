//! The tables' key schema, for the emulator and for first runs outside SAM. Mirrors
//! `infra/template.yaml`: a string hash key `pk`, on-demand billing, TTL on `ttl`.

use super::TableNames;
use crate::Error;
use crate::adapters::sdk_error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};

/// Creates the three tables and turns on their TTL.
pub async fn create_tables(client: &Client, names: &TableNames) -> Result<(), Error> {
    for table in [&names.users, &names.sessions, &names.audit] {
        let key = KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .map_err(super::build_err)?;
        let attr = AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(super::build_err)?;
        client
            .create_table()
            .table_name(table)
            .key_schema(key)
            .attribute_definitions(attr)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb CreateTable", e))?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name("ttl")
            .enabled(true)
            .build()
            .map_err(super::build_err)?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| sdk_error("dynamodb UpdateTimeToLive", e))?;
    }
    Ok(())
}
