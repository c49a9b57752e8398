-- Months that still have records in the tables but no extrato: not yet closed. The current month
-- is expected here; an older one means its close did not run or failed (see schedules.sql).
WITH months AS (
    SELECT DISTINCT extract(year FROM data)::int AS ano, extract(month FROM data)::int AS mes FROM pagamentos
    UNION SELECT DISTINCT extract(year FROM data)::int, extract(month FROM data)::int FROM sessoes
    UNION SELECT DISTINCT extract(year FROM data)::int, extract(month FROM data)::int FROM gastos
)
SELECT m.ano, m.mes
FROM months m
WHERE NOT EXISTS (SELECT 1 FROM extratos e WHERE e.ano = m.ano AND e.mes = m.mes)
ORDER BY m.ano, m.mes;

-- Closed months, newest first, with their totals (numeric: exact) and record counts.
SELECT ano, mes, total_receita, total_comissoes, total_gastos, saldo, contagens, created_at
FROM extratos ORDER BY ano DESC, mes DESC LIMIT 24;
