/**
 * Editing methods as plug-ins: the contract a method implements
 * ({@link dev.emend.core.method.EditingMethod}), the {@link java.util.ServiceLoader}-backed
 * {@link dev.emend.core.method.MethodRegistry} (the one place that maps method names to methods and
 * phases), a phase's typed view of its methods ({@link dev.emend.core.method.PhaseMethods}) and the
 * engine base class that dispatches to them ({@link dev.emend.core.method.MethodPhaseEngine}).
 */
package dev.emend.core.method;
