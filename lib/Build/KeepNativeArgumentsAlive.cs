// An MSBuild task (compiled by RoslynCodeTaskFactory, see lib/Build/TorchSharpPatches.targets) that rewrites
// TorchSharp.dll so that every managed object whose native handle reaches a P/Invoke stays reachable until that
// P/Invoke returns.
//
// Why: TorchSharp passes `obj.Handle` (an IntPtr) to LibTorchSharp and does not keep `obj` alive for the duration of
// the call. Once `.Handle` has been read, the JIT may report `obj` dead; a GC on any other thread can then run its
// finalizer (`~Scalar` -> THSTorch_dispose_scalar, `~Tensor` -> THSTensor_dispose), freeing the c10::Scalar or
// at::Tensor that libtorch is still reading. Implicit Scalars (`x * 0.5`, `add_(1)`, the alpha of `add(Tensor)`) are
// the usual victims, including those TorchSharp creates inside BatchNorm and its optimizers, so no fix at our own
// call sites can be complete. Upstream discussion: dotnet/TorchSharp PRs #1434 and #1496 (dispose implicit Scalars).
//
// The rewrite, for each method that calls a P/Invoke ([DllImport] extern) method:
//   1. every read of a native handle, i.e. an `ldfld` of an IntPtr field or a call of a parameterless instance
//      method returning IntPtr (`get_Handle`, `DangerousGetHandle`) on a class of this assembly or on SafeHandle,
//      also stores the object it reads from in a fresh local (`dup; stloc`);
//   2. right after every P/Invoke call, `GC.KeepAlive` is called on those locals, on every argument and every
//      local of reference type (lists and arrays of tensors whose handles were collected in a helper), so nothing
//      reachable from the method when the call started can be finalized before the call returns.
// GC.KeepAlive is a JIT intrinsic that only extends liveness; the cost is a few register moves per native call.
//
// The patched assembly carries [assembly: AssemblyMetadata("DeepInterest.KeepNativeArgumentsAlive", Version)], and
// the unpatched original is kept beside it as TorchSharp.dll.unpatched, so a later version of this rule re-patches
// from the original and the task is a no-op on an up-to-date copy. Remove the task once TorchSharp ships a fix.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Mono.Cecil;
using Mono.Cecil.Cil;

public sealed class KeepNativeArgumentsAlive : Task
{
    /// <summary>Bump when the rewrite rule changes: copies patched by an older rule are patched again.</summary>
    public const string RuleVersion = "1";
    public const string MarkerKey = "DeepInterest.KeepNativeArgumentsAlive";

    [Required] public ITaskItem[] Assemblies { get; set; } = Array.Empty<ITaskItem>();

    public override bool Execute()
    {
        foreach (var item in Assemblies)
        {
            var path = item.ItemSpec;
            var original = path + ".unpatched";
            using var exclusive = LockBeside(path); // builds of several projects run this task at the same time
            string? marker;
            using (var current = ModuleDefinition.ReadModule(path)) marker = Marker(current);
            if (marker == RuleVersion)
            {
                Log.LogMessage(MessageImportance.Low, $"{path}: native arguments already kept alive (rule {RuleVersion})");
                continue;
            }
            if (marker == null && !File.Exists(original))
            {
                var copy = $"{original}.{Guid.NewGuid():N}.tmp";
                File.Copy(path, copy);
                File.Move(copy, original);
            }
            if (!File.Exists(original))
            {
                Log.LogError($"{path} was patched by keep-alive rule {marker} but its original {original} is missing; " +
                             "delete the package folder so NuGet restores it, then build again");
                return false;
            }
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            int calls, methods;
            using (var module = ModuleDefinition.ReadModule(original))
            {
                (calls, methods) = Rewrite(module);
                AddMarker(module);
                module.Write(temp);
            }
            File.Replace(temp, path, null); // rename(2): readers see the old or the new file, never half of one
            Log.LogMessage(MessageImportance.High,
                $"DeepInterest: {path}: kept native arguments alive across {calls} P/Invoke calls in {methods} methods");
        }
        return !Log.HasLoggedErrors;
    }

    static FileStream LockBeside(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try { return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { System.Threading.Thread.Sleep(100); }
        }
    }

    static string? Marker(ModuleDefinition module) =>
        module.Assembly.CustomAttributes
            .Where(a => a.AttributeType.FullName == "System.Reflection.AssemblyMetadataAttribute"
                        && a.ConstructorArguments.Count == 2 && (string)a.ConstructorArguments[0].Value == MarkerKey)
            .Select(a => (string)a.ConstructorArguments[1].Value)
            .FirstOrDefault();

    static void AddMarker(ModuleDefinition module)
    {
        var corlib = module.TypeSystem.Object.Scope;
        var attribute = new TypeReference("System.Reflection", "AssemblyMetadataAttribute", module, corlib);
        var ctor = new MethodReference(".ctor", module.TypeSystem.Void, attribute) { HasThis = true };
        ctor.Parameters.Add(new ParameterDefinition(module.TypeSystem.String));
        ctor.Parameters.Add(new ParameterDefinition(module.TypeSystem.String));
        var marker = new CustomAttribute(ctor);
        marker.ConstructorArguments.Add(new CustomAttributeArgument(module.TypeSystem.String, MarkerKey));
        marker.ConstructorArguments.Add(new CustomAttributeArgument(module.TypeSystem.String, RuleVersion));
        module.Assembly.CustomAttributes.Add(marker);
    }

    static (int Calls, int Methods) Rewrite(ModuleDefinition module)
    {
        var gc = new TypeReference("System", "GC", module, module.TypeSystem.Object.Scope);
        var keepAlive = new MethodReference("KeepAlive", module.TypeSystem.Void, gc);
        keepAlive.Parameters.Add(new ParameterDefinition(module.TypeSystem.Object));
        int calls = 0, methods = 0;
        foreach (var method in module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            var nativeCalls = method.Body.Instructions.Where(IsNativeCall).ToList();
            if (nativeCalls.Count == 0) continue;
            LengthenShortBranches(method.Body); // a short branch may no longer reach once code is inserted
            var il = method.Body.GetILProcessor();
            var locals = method.Body.Variables.ToList();
            var keep = new List<Func<Instruction>>();
            foreach (var read in method.Body.Instructions.Where(IsHandleRead).ToList())
            {
                var holder = new VariableDefinition(module.TypeSystem.Object);
                method.Body.Variables.Add(holder);
                // Turn `read` itself into the dup, so branches and handler boundaries that target it still do.
                var handleRead = Instruction.Create(OpCodes.Nop);
                handleRead.OpCode = read.OpCode;
                handleRead.Operand = read.Operand;
                read.OpCode = OpCodes.Dup;
                read.Operand = null;
                il.InsertAfter(read, handleRead);
                il.InsertAfter(read, Instruction.Create(OpCodes.Stloc, holder));
                keep.Add(() => Instruction.Create(OpCodes.Ldloc, holder));
            }
            if (method.HasThis && !method.DeclaringType.IsValueType)
                keep.Add(() => Instruction.Create(OpCodes.Ldarg, method.Body.ThisParameter));
            foreach (var parameter in method.Parameters.Where(p => HoldsObjects(p.ParameterType)))
                keep.Add(() => Instruction.Create(OpCodes.Ldarg, parameter));
            foreach (var local in locals.Where(v => !v.IsPinned && HoldsObjects(v.VariableType)))
                keep.Add(() => Instruction.Create(OpCodes.Ldloc, local));
            foreach (var call in nativeCalls)
            {
                if (call.Previous?.OpCode.OpCodeType == OpCodeType.Prefix) continue; // a `tail.` call must be followed by ret
                var at = call;
                foreach (var load in keep)
                {
                    var loaded = load();
                    il.InsertAfter(at, loaded);
                    var kept = Instruction.Create(OpCodes.Call, keepAlive);
                    il.InsertAfter(loaded, kept);
                    at = kept;
                }
                calls++;
            }
            methods++;
        }
        return (calls, methods);
    }

    static readonly Dictionary<Code, OpCode> LongForm = new()
    {
        [Code.Br_S] = OpCodes.Br, [Code.Brfalse_S] = OpCodes.Brfalse, [Code.Brtrue_S] = OpCodes.Brtrue,
        [Code.Beq_S] = OpCodes.Beq, [Code.Bge_S] = OpCodes.Bge, [Code.Bgt_S] = OpCodes.Bgt, [Code.Ble_S] = OpCodes.Ble,
        [Code.Blt_S] = OpCodes.Blt, [Code.Bne_Un_S] = OpCodes.Bne_Un, [Code.Bge_Un_S] = OpCodes.Bge_Un,
        [Code.Bgt_Un_S] = OpCodes.Bgt_Un, [Code.Ble_Un_S] = OpCodes.Ble_Un, [Code.Blt_Un_S] = OpCodes.Blt_Un,
        [Code.Leave_S] = OpCodes.Leave,
    };

    static void LengthenShortBranches(MethodBody body)
    {
        foreach (var instruction in body.Instructions)
            if (LongForm.TryGetValue(instruction.OpCode.Code, out var longForm)) instruction.OpCode = longForm;
    }

    static bool IsNativeCall(Instruction instruction) =>
        instruction.OpCode == OpCodes.Call && instruction.Operand is MethodDefinition { IsPInvokeImpl: true };

    static bool IsHandleRead(Instruction instruction)
    {
        if (instruction.Previous?.OpCode.OpCodeType == OpCodeType.Prefix) return false; // volatile./constrained. bind to it
        return instruction.Operand switch
        {
            FieldReference field when instruction.OpCode == OpCodes.Ldfld =>
                field.FieldType.MetadataType == MetadataType.IntPtr && IsClass(field.DeclaringType),
            MethodReference method when instruction.OpCode == OpCodes.Call || instruction.OpCode == OpCodes.Callvirt =>
                method.HasThis && method.Parameters.Count == 0 && method.ReturnType.MetadataType == MetadataType.IntPtr
                && (IsClass(method.DeclaringType) || method.DeclaringType.FullName == "System.Runtime.InteropServices.SafeHandle"),
            _ => false,
        };
    }

    static bool IsClass(TypeReference type) => type is TypeDefinition { IsValueType: false, IsInterface: false };

    /// <summary>Reference types other than strings and arrays of primitives, i.e. anything that may own or hold a native handle.</summary>
    static bool HoldsObjects(TypeReference type) => type.MetadataType switch
    {
        MetadataType.Class or MetadataType.Object => true,
        MetadataType.GenericInstance => !type.IsValueType,
        MetadataType.Array => !((ArrayType)type).ElementType.IsPrimitive,
        _ => false,
    };
}
