package io.toka.engine.process.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/** Component property type for {@code toka.engine.language} ({@link io.toka.runtime.execution.ExecutionEngine#LANGUAGE}). */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
@interface EngineLanguage {

    /** With the simple name, gives the property name {@code toka.engine.language}. */
    String PREFIX_ = "toka.";

    /** The language. */
    String value();
}
