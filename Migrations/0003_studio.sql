-- The studio's records (seeds 000–002) and the month close that moves them into extratos.
-- Money is numeric(12,2): exact reais and centavos.

CREATE TABLE clientes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    email       text,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE artistas (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    comissao_percentual numeric(5,2) NOT NULL DEFAULT 50 CHECK (comissao_percentual BETWEEN 0 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A session and its payment point at each other (the seed's circular reference). Each link is
-- optional and set to NULL when the other side is deleted, so a month can be closed even when
-- a session and its payment fall in different months; the extrato keeps both ids.
CREATE TABLE sessoes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data          date          NOT NULL,
    valor         numeric(12,2) NOT NULL CHECK (valor >= 0),
    status        text          NOT NULL DEFAULT 'completed' CHECK (status IN ('scheduled', 'completed', 'cancelled', 'paid')),
    cliente_id    bigint        NOT NULL REFERENCES clientes(id),
    artista_id    bigint        NOT NULL REFERENCES artistas(id),
    payment_id    bigint,
    observacoes   text,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE pagamentos (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data            date          NOT NULL,
    valor           numeric(12,2) NOT NULL CHECK (valor >= 0),
    forma_pagamento text          NOT NULL CHECK (forma_pagamento IN
                        ('dinheiro', 'pix', 'cartao_credito', 'cartao_debito', 'transferencia', 'outros')),
    cliente_id      bigint        NOT NULL REFERENCES clientes(id),
    artista_id      bigint        NOT NULL REFERENCES artistas(id),
    sessao_id       bigint        REFERENCES sessoes(id) ON DELETE SET NULL,
    observacoes     text,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now()
);

ALTER TABLE sessoes ADD CONSTRAINT sessoes_payment_id_fkey
    FOREIGN KEY (payment_id) REFERENCES pagamentos(id) ON DELETE SET NULL;

-- A commission belongs to a payment and closes with it.
CREATE TABLE comissoes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data          date          NOT NULL,
    valor         numeric(12,2) NOT NULL CHECK (valor >= 0),
    percentual    numeric(5,2)  NOT NULL,
    pagamento_id  bigint        NOT NULL REFERENCES pagamentos(id),
    artista_id    bigint        NOT NULL REFERENCES artistas(id),
    observacoes   text,
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now()
);

CREATE TABLE gastos (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    data            date          NOT NULL,
    valor           numeric(12,2) NOT NULL CHECK (valor >= 0),
    descricao       text          NOT NULL,
    categoria       text,
    forma_pagamento text          CHECK (forma_pagamento IN
                        ('dinheiro', 'pix', 'cartao_credito', 'cartao_debito', 'transferencia', 'outros')),
    observacoes     text,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX sessoes_data_idx ON sessoes (data);
CREATE INDEX pagamentos_data_idx ON pagamentos (data);
CREATE INDEX pagamentos_sessao_idx ON pagamentos (sessao_id);
CREATE INDEX sessoes_payment_idx ON sessoes (payment_id);
CREATE INDEX comissoes_data_idx ON comissoes (data);
CREATE INDEX comissoes_pagamento_idx ON comissoes (pagamento_id);
CREATE INDEX gastos_data_idx ON gastos (data);

-- One row per closed month: the month's records as JSON, and totals computed in SQL.
CREATE TABLE extratos (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mes                 integer       NOT NULL CHECK (mes BETWEEN 1 AND 12),
    ano                 integer       NOT NULL CHECK (ano BETWEEN 2000 AND 2999),
    pagamentos          jsonb         NOT NULL DEFAULT '[]',
    sessoes             jsonb         NOT NULL DEFAULT '[]',
    comissoes           jsonb         NOT NULL DEFAULT '[]',
    gastos              jsonb         NOT NULL DEFAULT '[]',
    total_receita       numeric(14,2) NOT NULL,
    total_comissoes     numeric(14,2) NOT NULL,
    total_gastos        numeric(14,2) NOT NULL,
    saldo               numeric(14,2) NOT NULL,
    receita_por_forma   jsonb         NOT NULL DEFAULT '{}',
    contagens           jsonb         NOT NULL DEFAULT '{}',
    created_at          timestamptz   NOT NULL DEFAULT now(),
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    job_id              bigint,
    UNIQUE (ano, mes)
);

-- One row per attempt to close a month, successful or not.
CREATE TABLE extrato_runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mes               integer     NOT NULL,
    ano               integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('success', 'failed', 'skipped')),
    pagamentos_moved  integer     NOT NULL DEFAULT 0,
    sessoes_moved     integer     NOT NULL DEFAULT 0,
    comissoes_moved   integer     NOT NULL DEFAULT 0,
    gastos_moved      integer     NOT NULL DEFAULT 0,
    duration_ms       integer     NOT NULL DEFAULT 0,
    error             text,
    message           text,
    forced            boolean     NOT NULL DEFAULT false,
    job_id            bigint,
    run_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX extrato_runs_month_idx ON extrato_runs (ano, mes, run_at DESC);

-- Extratos by month, for operators.
CREATE VIEW extratos_by_month AS
SELECT ano, mes, to_char(make_date(ano, mes, 1), 'YYYY-MM') AS month,
       total_receita, total_comissoes, total_gastos, saldo, receita_por_forma, contagens,
       created_at, updated_at, job_id
FROM extratos
ORDER BY ano DESC, mes DESC;
