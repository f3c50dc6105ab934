package io.toka.store.internal;

import java.util.Locale;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Builds PostgreSQL data sources. The only class that names the driver, so the bundle loads without it (the
 * driver's packages are an optional import) until PostgreSQL is actually selected.
 */
final class PostgresDataSources {

    private static final int CONNECT_TIMEOUT_SECONDS = 10;

    private PostgresDataSources() {
    }

    /**
     * @param url a {@code jdbc:postgresql://} URL; parameters in it win over the defaults set here
     * @param user the user, or blank for the URL's or driver's default
     * @param password the password, or empty for none
     * @throws IllegalArgumentException if the URL cannot be parsed
     * @throws NoClassDefFoundError if the PostgreSQL driver is not installed
     */
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
            ds.setApplicationName("toka");
        }
        // an unreachable database must fail the open within seconds, not hang a configuration change
        if (!lower.contains("connecttimeout=")) {
            ds.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
        }
        if (!lower.contains("logintimeout=")) {
            ds.setLoginTimeout(CONNECT_TIMEOUT_SECONDS);
        }
        ds.setTcpKeepAlive(true);
        return ds;
    }
}
