package io.toka.cluster.internal;

import java.util.Locale;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** A PostgreSQL data source with timeouts, so an unreachable database fails within seconds. */
final class PostgresSource {

    private static final int TIMEOUT_SECONDS = 10;

    private PostgresSource() {
    }

    static DataSource create(String url, String user, String password) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        if (user != null && !user.isBlank()) {
            ds.setUser(user);
        }
        if (password != null && !password.isEmpty()) {
            ds.setPassword(password);
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.contains("applicationname=")) {
            ds.setApplicationName("toka-cluster");
        }
        if (!lower.contains("connecttimeout=")) {
            ds.setConnectTimeout(TIMEOUT_SECONDS);
        }
        if (!lower.contains("sockettimeout=")) {
            ds.setSocketTimeout(30);
        }
        ds.setTcpKeepAlive(true);
        return ds;
    }
}
