// Sharing assessments (issue 12): the answers an editor gave to the wizard "Kan du dele datasettet?" for one dataset.
// A save is a new row, so history is kept; the newest row per dataset is the current assessment.
//   dataset_id    — the dataset assessed (deleted with it)
//   tree_version  — the version of the wizard tree the answers were given to (old answers are shown with old questions)
//   answers       — JSON { questionId: value }
//   complete      — 0/1: every visible question answered when saved
//   stop_count    — how many stop outcomes the evaluation had when saved (the warning on the dataset page)
//   stops         — JSON [{ area, questionId }]: which stops, without texts (texts come from the tree in the reader's language)
//   saved_by      — the user who saved it (null for the CLI)
//   saved_at      — ISO timestamp
import { type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sharing_assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('tree_version', 'text', (c) => c.notNull())
    .addColumn('answers', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('complete', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stop_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('stops', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('saved_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('saved_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sharing_assessments_dataset_saved').on('sharing_assessments').columns(['dataset_id', 'saved_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sharing_assessments').execute();
}
