// A TypeDoc plugin for the API reference: a member declared as `typeof` something of another
// package (NetNS's `spawn: typeof childProcess.spawn`, ...) is shown as that `typeof`, not as the
// other package's overloads and doc comments copied in (hundreds of lines of Node's docs per
// member, which change with each @types/node release).
import ts from 'typescript';
import { Converter, UnknownType } from 'typedoc';

/** Called by TypeDoc with the application. */
export function load(app) {
  const replace = new Map();
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const symbol = context.getSymbolFromReflection(reflection);
    const node = symbol?.declarations?.[0];
    const type = node && (ts.isPropertyDeclaration(node) || ts.isPropertySignature(node)) ? node.type : undefined;
    if (!type || !ts.isTypeQueryNode(type)) return;
    let target = context.checker.getSymbolAtLocation(type.exprName);
    if (target && target.flags & ts.SymbolFlags.Alias) target = context.checker.getAliasedSymbol(target);
    const external = target?.declarations?.every((d) => d.getSourceFile().fileName.includes('/node_modules/'));
    if (external) replace.set(reflection, type.getText());
  });
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, () => {
    for (const [reflection, text] of replace) reflection.type = new UnknownType(text);
    replace.clear();
  });
}
