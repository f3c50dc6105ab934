package io.toka.tool;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type that sets {@link Tool#NAME} on a Declarative Services tool component:
 * {@code @ToolName("hello")} is the same as {@code property = "toka.tool.name=hello"}.
 */
@ComponentPropertyType
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface ToolName {

    /** Prefix that turns the annotation's derived name {@code tool.name} into {@link Tool#NAME}. */
    String PREFIX_ = "toka.";

    /**
     * The tool's name.
     *
     * @return a name matching {@code [a-z0-9][a-z0-9-]{0,63}}
     */
    String value();
}
