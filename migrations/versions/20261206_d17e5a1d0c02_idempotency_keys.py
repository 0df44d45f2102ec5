"""Idempotency keys: a repeated API POST or form submit gets the first answer and changes nothing

Revision ID: d17e5a1d0c02
Revises: b17d15a1a7e5
Create Date: 2026-12-06 02:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd17e5a1d0c02'
down_revision = 'b17d15a1a7e5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'idempotency_keys',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('referral_id', sa.Uuid(), nullable=True),
        sa.Column('client_id', sa.Uuid(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('location', sa.String(length=2000), nullable=True),
        sa.Column('content_type', sa.String(length=100), nullable=True),
        sa.Column('answer', sa.LargeBinary(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['referral_id'], ['referrals.id'], name=op.f('fk_idempotency_keys_referral_id_referrals'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['client_id'], ['clients.id'], name=op.f('fk_idempotency_keys_client_id_clients'), ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
        sa.UniqueConstraint('user_id', 'key', name='uq_idempotency_keys_user_key'),
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_expires_at'))
    op.drop_table('idempotency_keys')
