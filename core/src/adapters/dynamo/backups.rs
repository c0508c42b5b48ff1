//! `Backups` on DynamoDB: an on-demand backup (`CreateBackup`) of each of the four tables, listed
//! per table (`ListBackups`, user backups only) and deleted by ARN (`DeleteBackup`).

use super::DynamoStore;
use crate::Error;
use crate::ports::{Backups, TableBackup};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::BackupTypeFilter;
use time::OffsetDateTime;

impl DynamoStore {
    fn table_names(&self) -> [&str; 4] {
        [
            &self.tables.users,
            &self.tables.sessions,
            &self.tables.audit,
            &self.tables.counters,
        ]
    }
}

fn created(at: Option<&aws_sdk_dynamodb::primitives::DateTime>) -> OffsetDateTime {
    at.and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[async_trait]
impl Backups for DynamoStore {
    async fn take(&self, name: &str) -> Result<Vec<TableBackup>, Error> {
        let mut taken = Vec::new();
        for table in self.table_names() {
            // A backup name is at most 255 characters of [a-zA-Z0-9_.-]; table names are too.
            let backup_name: String = format!("{name}-{table}").chars().take(255).collect();
            let out = self
                .client
                .create_backup()
                .table_name(table)
                .backup_name(&backup_name)
                .send()
                .await
                .map_err(|e| super::super::sdk_error("dynamodb CreateBackup", e))?;
            let details = out
                .backup_details
                .ok_or_else(|| Error::internal("CreateBackup answered no details"))?;
            taken.push(TableBackup {
                id: details.backup_arn,
                table: table.to_owned(),
                name: details.backup_name,
                created: created(Some(&details.backup_creation_date_time)),
            });
        }
        Ok(taken)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<TableBackup>, Error> {
        let mut found = Vec::new();
        for table in self.table_names() {
            let mut start: Option<String> = None;
            loop {
                let out = self
                    .client
                    .list_backups()
                    .table_name(table)
                    .backup_type(BackupTypeFilter::User)
                    .set_exclusive_start_backup_arn(start.take())
                    .send()
                    .await
                    .map_err(|e| super::super::sdk_error("dynamodb ListBackups", e))?;
                for summary in out.backup_summaries.unwrap_or_default() {
                    let (Some(arn), Some(name)) = (summary.backup_arn, summary.backup_name) else {
                        continue;
                    };
                    if name.starts_with(prefix) {
                        found.push(TableBackup {
                            id: arn,
                            table: table.to_owned(),
                            name,
                            created: created(summary.backup_creation_date_time.as_ref()),
                        });
                    }
                }
                match out.last_evaluated_backup_arn {
                    Some(next) => start = Some(next),
                    None => break,
                }
            }
        }
        found.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
        Ok(found)
    }

    async fn delete(&self, backup: &TableBackup) -> Result<(), Error> {
        match self
            .client
            .delete_backup()
            .backup_arn(&backup.id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_backup_not_found_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(super::super::sdk_error("dynamodb DeleteBackup", e)),
        }
    }
}
