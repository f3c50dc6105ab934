package io.toka.bench.runtime;

import java.lang.annotation.Annotation;
import java.lang.reflect.Proxy;
import java.util.Map;

/** A configuration annotation with every attribute at its default, as ConfigAdmin gives it with no file. */
final class Defaults {

    private Defaults() {
    }

    @SuppressWarnings("unchecked")
    static <A extends Annotation> A of(Class<A> type, Map<String, Object> overrides) {
        return (A) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            String name = method.getName();
            if (name.equals("annotationType")) {
                return type;
            }
            if (name.equals("toString")) {
                return type.getSimpleName() + "(defaults)";
            }
            if (name.equals("hashCode")) {
                return System.identityHashCode(proxy);
            }
            if (name.equals("equals")) {
                return proxy == args[0];
            }
            return overrides.containsKey(name) ? overrides.get(name) : method.getDefaultValue();
        });
    }
}
