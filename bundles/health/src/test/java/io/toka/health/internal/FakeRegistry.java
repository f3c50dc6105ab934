package io.toka.health.internal;

import io.toka.runtime.registry.ToolRegistry;
import java.lang.reflect.Proxy;
import java.util.List;

/** A tool registry that only lists names; anything else it is asked is a test bug. */
final class FakeRegistry {

    private FakeRegistry() {
    }

    static ToolRegistry withTools(String... names) {
        return (ToolRegistry) Proxy.newProxyInstance(FakeRegistry.class.getClassLoader(),
                new Class<?>[] {ToolRegistry.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "names" -> List.of(names);
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "FakeRegistry" + List.of(names);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
