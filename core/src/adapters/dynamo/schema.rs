//! The tables' shape, as data: every table has a string hash key `pk`, on-demand billing and
//! TTL on `ttl`, plus its sparse indexes. `infra/template.yaml` declares the same tables; a
//! test holds the two equal (keys, attribute types, indexes, TTL). `create_tables` makes them
//! on any endpoint: the emulator, DynamoDB Local, or an account deployed without SAM
//! (`latch-local create-tables`).

use super::TableNames;
use crate::Error;
use crate::adapters::sdk_error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

/// Every table's hash key (a string).
pub const KEY: &str = "pk";
/// The attribute DynamoDB's TTL reads (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "ttl";

/// A key attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    S,
    N,
}

/// A global secondary index: hash and range key, projecting every attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub hash: (&'static str, KeyKind),
    pub range: (&'static str, KeyKind),
}

/// One table: its role (`users`, `sessions`, `audit`, `counters`), the configured name it has,
/// and its indexes.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub role: &'static str,
    pub name: fn(&TableNames) -> &str,
    pub indexes: &'static [Index],
}

/// The four tables.
pub const TABLES: [Table; 4] = [
    Table {
        role: "users",
        name: |n| &n.users,
        indexes: &[
            Index {
                name: super::users::UNVERIFIED_INDEX,
                hash: ("unverifiedShard", KeyKind::S),
                range: ("createdEpoch", KeyKind::N),
            },
            Index {
                name: super::guards::LOCKS_INDEX,
                hash: ("lockShard", KeyKind::S),
                range: ("lockUntilEpoch", KeyKind::N),
            },
            Index {
                name: super::users::BY_CREATION_INDEX,
                hash: ("directory", KeyKind::S),
                range: ("dirCreated", KeyKind::S),
            },
            Index {
                name: super::users::BY_EMAIL_INDEX,
                hash: ("directory", KeyKind::S),
                range: ("dirEmail", KeyKind::S),
            },
            Index {
                name: super::resources::BY_OWNER_INDEX,
                hash: ("resOwner", KeyKind::S),
                range: ("resId", KeyKind::S),
            },
            Index {
                name: super::resources::PENDING_INDEX,
                hash: ("pendingShard", KeyKind::S),
                range: ("resId", KeyKind::S),
            },
        ],
    },
    Table {
        role: "sessions",
        name: |n| &n.sessions,
        indexes: &[Index {
            name: super::sessions::BY_USER_INDEX,
            hash: ("byUser", KeyKind::S),
            range: ("createdAt", KeyKind::S),
        }],
    },
    Table {
        role: "audit",
        name: |n| &n.audit,
        indexes: &[
            Index {
                name: super::audit::BY_USER_INDEX,
                hash: ("userId", KeyKind::S),
                range: ("atKey", KeyKind::S),
            },
            Index {
                name: super::audit::BY_ACTOR_INDEX,
                hash: ("actorId", KeyKind::S),
                range: ("atKey", KeyKind::S),
            },
            Index {
                name: super::audit::BY_TYPE_INDEX,
                hash: ("type", KeyKind::S),
                range: ("atKey", KeyKind::S),
            },
            Index {
                name: super::audit::BY_MONTH_INDEX,
                hash: ("month", KeyKind::S),
                range: ("atKey", KeyKind::S),
            },
            Index {
                name: super::audit::BY_CHAIN_INDEX,
                hash: ("chainId", KeyKind::S),
                range: ("chainKey", KeyKind::S),
            },
        ],
    },
    Table {
        role: "counters",
        name: |n| &n.counters,
        indexes: &[],
    },
];

/// Creates each table that does not exist yet, with its indexes and TTL; leaves the others as
/// they are. Answers each table's name and whether this call created it.
pub async fn create_tables(
    client: &Client,
    names: &TableNames,
) -> Result<Vec<(String, bool)>, Error> {
    let mut made = Vec::new();
    for table in TABLES {
        let name = (table.name)(names);
        let exists = match client.describe_table().table_name(name).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                false
            }
            Err(e) => return Err(sdk_error("dynamodb DescribeTable", e)),
        };
        if !exists {
            create_table(client, name, &table).await?;
        }
        made.push((name.to_owned(), !exists));
    }
    Ok(made)
}

async fn create_table(client: &Client, name: &str, table: &Table) -> Result<(), Error> {
    let mut create = client
        .create_table()
        .table_name(name)
        .key_schema(key(KEY, KeyType::Hash)?)
        .attribute_definitions(attribute((KEY, KeyKind::S))?)
        .billing_mode(BillingMode::PayPerRequest);
    // Indexes share attributes (`atKey`, `directory`): each is defined once.
    let mut defined = vec![KEY];
    for index in table.indexes {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name)
            .key_schema(key(index.hash.0, KeyType::Hash)?)
            .key_schema(key(index.range.0, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(super::build_err)?;
        create = create.global_secondary_indexes(gsi);
        for attr in [index.hash, index.range] {
            if !defined.contains(&attr.0) {
                defined.push(attr.0);
                create = create.attribute_definitions(attribute(attr)?);
            }
        }
    }
    create
        .send()
        .await
        .map_err(|e| sdk_error("dynamodb CreateTable", e))?;
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL_ATTRIBUTE)
        .enabled(true)
        .build()
        .map_err(super::build_err)?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|e| sdk_error("dynamodb UpdateTimeToLive", e))?;
    Ok(())
}

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, Error> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(super::build_err)
}

fn attribute((name, kind): (&str, KeyKind)) -> Result<AttributeDefinition, Error> {
    let kind = match kind {
        KeyKind::S => ScalarAttributeType::S,
        KeyKind::N => ScalarAttributeType::N,
    };
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .map_err(super::build_err)
}
