package io.toka.shell.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.junit.jupiter.api.Test;

class McpLookupTest {

    final List<String> calls = new ArrayList<>();

    @Test
    void withoutTheServiceTheCommandsSayMcpIsNotInstalled() {
        BundleContext context = context(null, true);
        assertThatThrownBy(() -> McpLookup.with(context, s -> calls.add("used")))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("MCP is not installed");
        assertThat(calls).containsExactly("getServiceReference io.toka.mcp.McpSessions");
    }

    @Test
    void theServiceIsUsedAndReleasedEvenWhenTheUseFails() throws Exception {
        Object service = new Object();
        AtomicReference<Object> seen = new AtomicReference<>();
        McpLookup.with(context(service, true), seen::set);
        assertThat(seen.get()).isSameAs(service);
        assertThat(calls).contains("ungetService");
        calls.clear();
        assertThatThrownBy(() -> McpLookup.with(context(service, true), s -> {
            throw new IllegalArgumentException("no MCP session 'x'");
        })).hasMessage("no MCP session 'x'");
        assertThat(calls).contains("ungetService");
    }

    @Test
    void aShellBundleNotWiredToTheMcpApiIsToldToRefresh() {
        assertThatThrownBy(() -> McpLookup.with(context(new Object(), false), s -> calls.add("used")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bundle:refresh io.toka.shell");
        assertThat(calls).doesNotContain("used").contains("ungetService");
        assertThatThrownBy(() -> McpLookup.with(context(new Object(), true), s -> {
            throw new NoClassDefFoundError("io/toka/mcp/McpSessions");
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("bundle:refresh io.toka.shell");
    }

    /** A bundle context with one service (or none) registered under the McpSessions name. */
    private BundleContext context(Object service, boolean assignable) {
        ServiceReference<?> ref = (ServiceReference<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (p, m, a) -> switch (m.getName()) {
                    case "isAssignableTo" -> assignable;
                    case "hashCode" -> 1;
                    case "equals" -> p == a[0];
                    default -> null;
                });
        Bundle bundle = (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (p, m, a) -> null);
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (p, m, a) -> {
                    switch (m.getName()) {
                        case "getServiceReference" -> {
                            calls.add("getServiceReference " + a[0]);
                            return service == null ? null : ref;
                        }
                        case "getService" -> {
                            return service;
                        }
                        case "ungetService" -> {
                            calls.add("ungetService");
                            return true;
                        }
                        case "getBundle" -> {
                            return bundle;
                        }
                        default -> {
                            return null;
                        }
                    }
                });
    }
}
